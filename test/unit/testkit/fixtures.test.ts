import { describe, expect, it } from 'vitest';
import { framingTag } from '../../../testkit/bench/index.js';

describe("the framed benchmark fixture's cache tag", () => {
  it('names what the current framing writes: the same twice, another for a framing that writes other frames or other chunks', async () => {
    const tag = await framingTag();
    expect(tag).toMatch(/^[0-9a-f]{10}$/);
    expect(await framingTag()).toBe(tag);
    // Lines longer than 256 bytes split into parts: other frames.
    expect(await framingTag({ maxLineBytes: 256 })).not.toBe(tag);
    // The same frames sealed into 64 KiB chunks instead of 1 MiB ones.
    expect(await framingTag({ maxChunkBytes: 64 * 1024 })).not.toBe(tag);
  });
});

import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FollowOptions {
  pollIntervalMs: number;
  /** Start at the end of the file as it is now (default: ship it from the beginning). */
  fromEnd?: boolean;
  signal: AbortSignal;
  /** May return a promise: reading waits for it (the shipper's memory bound). */
  onData: (data: Buffer) => unknown;
}

const READ_SIZE = 256 * 1024;

/**
 * Tails `file` until `signal` aborts, following rotation the way `tail -F` does: when the path
 * names a new file (rename + recreate) the old one is read to its end first, then the new one
 * from its start; when the file shrinks (truncation, `copytruncate`) reading restarts at 0.
 * Polls (fs.watch misses events on network and overlay filesystems).
 */
export async function followFile(file: string, options: FollowOptions): Promise<void> {
  let handle: FileHandle | undefined;
  let ino = -1;
  let position = 0;
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  const drain = async () => {
    if (!handle) return;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      await options.onData(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  };
  let first = true;
  try {
    while (!options.signal.aborted) {
      const current = await stat(file).catch(() => undefined);
      if (current && current.ino !== ino) {
        // Rotated (or first open): finish the old file, then switch.
        await drain();
        await handle?.close();
        handle = await open(file, 'r').catch(() => undefined);
        ino = handle ? (await handle.stat()).ino : -1;
        position = first && options.fromEnd && handle ? (await handle.stat()).size : 0;
        first = false;
      } else if (handle) {
        const size = (await handle.stat()).size;
        if (size < position) position = 0;
      }
      await drain();
      await sleep(options.pollIntervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
    await drain();
  } finally {
    await handle?.close();
  }
}

/** A Docker json-file log line: `{"log":"…\n","stream":"stderr","time":"2026-…Z"}`. */
export interface DockerLogLine {
  stream: 'stdout' | 'stderr';
  data: Buffer;
  time: number | undefined;
}

export function parseDockerJsonLine(line: string): DockerLogLine | undefined {
  try {
    const value = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof value.log !== 'string') return undefined;
    const time = typeof value.time === 'string' ? Date.parse(value.time) : NaN;
    return { stream: value.stream === 'stderr' ? 'stderr' : 'stdout', data: Buffer.from(value.log, 'utf8'), time: Number.isNaN(time) ? undefined : time };
  } catch {
    return undefined;
  }
}

/** Splits a byte stream into `\n`-terminated records, whatever the read boundaries. */
export function recordSplitter(onRecord: (record: Buffer) => void): (data: Buffer) => void {
  let rest: Buffer = Buffer.alloc(0);
  return (data) => {
    let buf = rest.length > 0 ? Buffer.concat([rest, data]) : data;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) !== -1) {
      onRecord(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  };
}

import type { Readable, Writable } from 'node:stream';
import type { OutputStream, Shipper } from '../shared/shipper/index.js';

/**
 * Copies a source to its terminal stream first (unchanged, at once), then hands the same bytes
 * to the shipper. The source is paused while the terminal stream is full, or, with
 * `--on-spool-full block`, while the spool is full — the only ways shipping can slow the job.
 */
export function passThrough(source: Readable, out: Writable | undefined, stream: OutputStream, shipper: Shipper): Promise<void> {
  let holds = 0;
  const hold = () => {
    if (holds++ === 0) source.pause();
  };
  const release = () => {
    if (--holds === 0) source.resume();
  };
  return new Promise((resolve) => {
    source.on('data', (data: Buffer) => {
      if (out?.writable && !out.write(data)) {
        hold();
        const resume = () => {
          out.off('drain', resume);
          out.off('close', resume);
          release();
        };
        out.on('drain', resume);
        out.on('close', resume);
      }
      shipper.write(stream, data);
      if (shipper.blocked) {
        hold();
        void shipper.waitForRoom().then(release);
      }
    });
    source.once('end', resolve);
    source.once('error', () => resolve());
  });
}

/** A closed terminal (EPIPE) must not stop the job or the shipping. */
export function ignoreBrokenPipes(...streams: Writable[]): void {
  for (const s of streams) s.on('error', () => undefined);
}

import { Worker } from 'node:worker_threads';
import type { FrameStream } from '../core/contract/index.js';
import { FramingError } from './errors.js';
import type { FramerOptions } from './framer.js';
import type { FramingWorkerData, FromWorker, ToWorker, WorkerFramerOptions } from './framing-worker.js';

/** The bundled worker program (`framing-worker-main.ts`), set by `cli/build.ts` in the CLI bundle. */
declare const JOBLOGS_FRAMING_WORKER_SOURCE: string | undefined;

/**
 * Input travels in blocks of this size (a pipe read is at most 64 KiB), which the worker hands
 * back once framed: a transferred buffer per read would leave V8 hundreds of megabytes of dead
 * ArrayBuffers to collect, and until it does they are resident memory.
 */
const BLOCK_BYTES = 64 * 1024;

/**
 * The {@link Framer} on a worker thread: `write()` copies the bytes to the worker (the caller's
 * Buffer stays theirs, e.g. for a terminal write still in progress) and returns at once; chunks
 * come back in seq order. {@link bufferedBytes} counts bytes sent and not yet acknowledged: the
 * worker acknowledges input once it is framed and its gzip backlog is below `maxBufferedBytes`.
 * The worker's program is the CLI bundle's embedded copy of `framing-worker-main.ts`, or, from
 * the TypeScript sources, `framing-worker-entry.mjs`.
 */
export class WorkerFraming {
  readonly #worker: Worker;
  readonly #blocks: ArrayBuffer[] = [];
  readonly #maxBlocks: number;
  #posted = 0;
  #acked = 0;
  #failed: Error | undefined;
  readonly #ended: Promise<void>;

  constructor(options: WorkerFramerOptions & Pick<FramerOptions, 'onChunk' | 'onError' | 'onGzipped'>) {
    const { onChunk, onError, onGzipped, ...framerOptions } = options;
    const data: FramingWorkerData = { options: framerOptions };
    this.#maxBlocks = Math.ceil(options.maxBufferedBytes / BLOCK_BYTES) + 4;
    const bundled = typeof JOBLOGS_FRAMING_WORKER_SOURCE === 'string' ? JOBLOGS_FRAMING_WORKER_SOURCE : undefined;
    this.#worker = new Worker(bundled ?? new URL('./framing-worker-entry.mjs', import.meta.url), {
      eval: bundled !== undefined,
      workerData: data,
      // Its heap holds little (the bytes are external), so a small young generation is enough.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    this.#ended = new Promise<void>((resolve, reject) => {
      this.#worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'chunk': {
            const { body, ...rest } = message.chunk;
            onChunk({ ...rest, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) });
            break;
          }
          case 'ack':
            this.#acked += message.bytes;
            onGzipped?.();
            break;
          case 'free':
            for (const block of message.buffers) if (this.#blocks.length < this.#maxBlocks) this.#blocks.push(block);
            break;
          case 'error':
            onError(new FramingError(`Framing failed: ${message.message}`));
            break;
          case 'ended':
            resolve();
            break;
        }
      });
      this.#worker.once('error', (cause) => {
        this.#failed = new FramingError(`Framing worker failed: ${cause.message}`, { cause });
        onError(this.#failed);
        reject(this.#failed);
      });
      this.#worker.once('exit', (code) => reject(new FramingError(`Framing worker exited with code ${code}`)));
    });
    this.#ended.catch(() => undefined);
  }

  get bufferedBytes(): number {
    return this.#posted - this.#acked;
  }

  write(stream: FrameStream, data: Buffer, time: number): void {
    if (this.#failed) return;
    for (let offset = 0; offset < data.length; offset += BLOCK_BYTES) {
      const part = data.subarray(offset, offset + BLOCK_BYTES);
      const copy = new Uint8Array(this.#blocks.pop() ?? new ArrayBuffer(BLOCK_BYTES), 0, part.length);
      copy.set(part);
      this.#posted += part.length;
      this.#worker.postMessage({ type: 'data', stream, data: copy, time } satisfies ToWorker, [copy.buffer]);
    }
  }

  /** {@link Framer.setFlushInterval} in the worker. */
  setFlushInterval(ms: number): void {
    if (this.#failed) return;
    this.#worker.postMessage({ type: 'flush-interval', ms } satisfies ToWorker);
  }

  /** Seals everything and the final chunk in the worker; resolves once that chunk has come back and the worker is gone. */
  async end(): Promise<void> {
    this.#worker.postMessage({ type: 'end' } satisfies ToWorker);
    try {
      await this.#ended;
    } finally {
      await this.#worker.terminate();
    }
  }
}

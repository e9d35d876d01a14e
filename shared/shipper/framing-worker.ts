import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import type { FrameStream } from '../core/index.js';
import { ShipperError } from './errors.js';
import { Framer, type FramedChunk, type FramerOptions } from './framer.js';

/** Marks the worker's `workerData`, so a bundle that is also the worker's script knows what to run. */
export const FRAMING_WORKER = 'joblogs-framing-worker';

type WorkerFramerOptions = Omit<FramerOptions, 'onChunk' | 'onError' | 'onGzipped' | 'now'> & { maxBufferedBytes: number };

interface FramingWorkerData {
  kind: typeof FRAMING_WORKER;
  options: WorkerFramerOptions;
}

type ToWorker = { type: 'data'; stream: FrameStream; data: Uint8Array; time: number } | { type: 'end' };
type FromWorker =
  | { type: 'chunk'; chunk: Omit<FramedChunk, 'body'> & { body: Uint8Array } }
  | { type: 'ack'; bytes: number }
  | { type: 'error'; message: string }
  | { type: 'ended' };

/** True in a worker thread started by {@link WorkerFraming}. */
export function isFramingWorker(): boolean {
  return !isMainThread && (workerData as Partial<FramingWorkerData> | null)?.kind === FRAMING_WORKER;
}

/**
 * The {@link Framer} on a worker thread: `write()` copies the bytes to the worker (the caller's
 * Buffer stays theirs, e.g. for a terminal write still in progress) and returns at once; chunks
 * come back in seq order. {@link bufferedBytes} counts bytes sent and not yet acknowledged: the
 * worker acknowledges input once it is framed and its gzip backlog is below `maxBufferedBytes`.
 */
export class WorkerFraming {
  readonly #worker: Worker;
  #posted = 0;
  #acked = 0;
  #failed: Error | undefined;
  readonly #ended: Promise<void>;

  constructor(options: WorkerFramerOptions & Pick<FramerOptions, 'onChunk' | 'onError' | 'onGzipped'>) {
    const { onChunk, onError, onGzipped, ...framerOptions } = options;
    const data: FramingWorkerData = { kind: FRAMING_WORKER, options: framerOptions };
    this.#worker = new Worker(workerScript(), {
      workerData: data,
      // Its heap holds little (the bytes are external), so a small young generation is enough.
      resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 64 },
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
          case 'error':
            onError(new ShipperError(`Framing failed: ${message.message}`));
            break;
          case 'ended':
            resolve();
            break;
        }
      });
      this.#worker.once('error', (cause) => {
        this.#failed = new ShipperError(`Framing worker failed: ${cause.message}`, { cause });
        onError(this.#failed);
        reject(this.#failed);
      });
      this.#worker.once('exit', (code) => reject(new ShipperError(`Framing worker exited with code ${code}`)));
    });
    this.#ended.catch(() => undefined);
  }

  get bufferedBytes(): number {
    return this.#posted - this.#acked;
  }

  write(stream: FrameStream, data: Buffer, time: number): void {
    if (this.#failed) return;
    const copy = new Uint8Array(data);
    this.#posted += copy.length;
    this.#worker.postMessage({ type: 'data', stream, data: copy, time } satisfies ToWorker, [copy.buffer]);
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

/** The worker's side: runs a {@link Framer} for the messages of its parent. */
export function runFramingWorker(port: MessagePort = parentPort!): void {
  const { options } = workerData as FramingWorkerData;
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  let unacked = 0;
  let ackScheduled = false;
  const ack = () => {
    ackScheduled = false;
    // Input stays unacknowledged while the gzip backlog is over the bound: the parent then holds back.
    if (unacked === 0 || framer.gzipBacklog >= options.maxBufferedBytes) return;
    post({ type: 'ack', bytes: unacked });
    unacked = 0;
  };
  const framer = new Framer({
    ...options,
    onChunk: (chunk) => {
      const body = ownArrayBuffer(chunk.body);
      post({ type: 'chunk', chunk: { ...chunk, body } }, [body.buffer as ArrayBuffer]);
    },
    onError: (error) => post({ type: 'error', message: error.message }),
    onGzipped: ack,
  });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'data') {
      const { data } = message;
      framer.write(message.stream, Buffer.from(data.buffer, data.byteOffset, data.byteLength), message.time);
      unacked += data.byteLength;
      if (!ackScheduled) {
        ackScheduled = true;
        setImmediate(ack);
      }
    } else {
      void framer.end().then(() => post({ type: 'ended' }));
    }
  });
}

/** A Uint8Array that owns its whole ArrayBuffer, so transferring it detaches nothing else (e.g. Buffer's pool). */
function ownArrayBuffer(bytes: Buffer): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer)) return bytes;
  return new Uint8Array(bytes);
}

/**
 * The worker's script: the bundle itself when running as the `joblogs` bundle (its entry runs
 * {@link runFramingWorker} when {@link isFramingWorker}), else a small bootstrap that loads these
 * TypeScript sources through tsx.
 */
function workerScript(): URL {
  const here = new URL(import.meta.url);
  return here.pathname.endsWith('.ts') ? new URL('./framing-worker-entry.mjs', here) : here;
}

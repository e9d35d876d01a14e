import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { FrameStream } from '../core/contract/index.js';
import { Framer, type FramedChunk, type FramerOptions } from './framer.js';

/**
 * The framing worker's side of {@link WorkerFraming} (worker-framing.ts) and the messages between
 * the two. Nothing here may load more than the framer: this is all the worker runs.
 */
export type WorkerFramerOptions = Omit<FramerOptions, 'onChunk' | 'onError' | 'onGzipped' | 'now'> & { maxBufferedBytes: number };

export interface FramingWorkerData {
  options: WorkerFramerOptions;
}

export type ToWorker = { type: 'data'; stream: FrameStream; data: Uint8Array; time: number } | { type: 'flush-interval'; ms: number } | { type: 'end' };
export type FromWorker =
  | { type: 'chunk'; chunk: Omit<FramedChunk, 'body'> & { body: Uint8Array } }
  | { type: 'ack'; bytes: number }
  | { type: 'free'; buffers: ArrayBuffer[] }
  | { type: 'error'; message: string }
  | { type: 'ended' };

/** The worker's side: runs a {@link Framer} for the messages of its parent. */
export function runFramingWorker(port: MessagePort = parentPort!): void {
  const { options } = workerData as FramingWorkerData;
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  let unacked = 0;
  let ackScheduled = false;
  let free: ArrayBuffer[] = [];
  const ack = () => {
    ackScheduled = false;
    if (free.length > 0) {
      post({ type: 'free', buffers: free }, free);
      free = [];
    }
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
      framer.write(message.stream, Buffer.from(data.buffer, data.byteOffset, data.byteLength), message.time, true);
      free.push(data.buffer as ArrayBuffer);
      unacked += data.byteLength;
      if (!ackScheduled) {
        ackScheduled = true;
        setImmediate(ack);
      }
    } else if (message.type === 'flush-interval') {
      framer.setFlushInterval(message.ms);
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

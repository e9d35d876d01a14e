import { Shipper, type ShipperEvent, type ShipperSummary } from '../shared/shipper/index.js';
import { redactionFrom, shipperOptionsFrom, type CommonFlags } from './config.js';
import { checkBucket, createS3Client } from './s3.js';
import { resolveTraceparent } from './traceparent.js';

export interface Session {
  shipper: Shipper;
  traceparent: string;
  /** Closes the shipper, prints the summary line, returns the summary. */
  finish(end: { exitCode?: number; signal?: string }): Promise<ShipperSummary>;
}

export interface SessionIo {
  stderr: (line: string) => void;
}

/** Validates the configuration, checks the bucket, opens the shipper: everything a command needs before it starts. */
export async function openSession(flags: CommonFlags, io: SessionIo): Promise<Session> {
  const traceparent = resolveTraceparent(flags.traceparent);
  const { redact, warnings } = redactionFrom(flags, process.env);
  const options = { ...shipperOptionsFrom(flags, traceparent), redact };
  for (const warning of warnings) io.stderr(`joblogs: warning: ${warning}`);
  const s3 = createS3Client({ forcePathStyle: flags.forcePathStyle });
  await checkBucket(s3, { bucket: options.bucket, prefix: options.prefix ?? 'chunks/', jobId: options.jobId }, (message) =>
    io.stderr(`joblogs: warning: ${message}`),
  );
  // A spool another shipper holds (two shippers would number the same chunks) is refused like bad configuration.
  const shipper = await Shipper.open({ ...options, s3, onEvent: (event) => report(event, flags.verbose === true, io) }).catch((error: unknown) => {
    s3.destroy();
    throw error;
  });
  return {
    shipper,
    traceparent,
    async finish(end) {
      const summary = await shipper.close(end);
      io.stderr(summaryLine(summary, options.spoolDir));
      s3.destroy();
      return summary;
    },
  };
}

/** The one line printed at exit. */
export function summaryLine(s: ShipperSummary, spoolDir?: string): string {
  const left = s.pending > 0 ? `, ${s.pending} chunk(s) left in the spool${spoolDir ? ` ${spoolDir}` : ''} for the next run` : '';
  const conflicts = s.conflicts > 0 ? `, ${s.conflicts} conflict(s): another writer used this job and source` : '';
  const kinds = Object.entries(s.redactions);
  const redacted =
    kinds.length > 0 ? `, ${kinds.reduce((n, [, k]) => n + k, 0)} secret(s) redacted (${kinds.map(([kind, n]) => `${kind} ${n}`).join(', ')})` : '';
  return `joblogs: ${s.lines} lines, ${s.bytes} bytes, ${s.chunks} chunks (${s.uploaded} uploaded), ${s.retries} retries, ${s.spooled} spooled, ${s.dropped} dropped${left}${conflicts}${redacted}`;
}

function report(event: ShipperEvent, verbose: boolean, io: SessionIo): void {
  switch (event.type) {
    case 'uploaded':
      if (verbose)
        io.stderr(`joblogs: uploaded ${event.key} (${event.lines} lines, ${event.bytes} bytes, attempt ${event.attempts}${event.final ? ', final' : ''})`);
      break;
    case 'upload-failed':
      if (verbose || event.attempt === 1)
        io.stderr(
          `joblogs: upload of ${event.key} failed (attempt ${event.attempt}): ${(event.error.cause as Error)?.message ?? event.error.message}; retrying in ${event.retryInMs} ms`,
        );
      break;
    case 'resumed':
      io.stderr(`joblogs: resuming ${event.chunks} spooled chunk(s); continuing at chunk ${event.nextSeq}, line ${event.nextLine}`);
      break;
    case 'spool-rejected':
      io.stderr(`joblogs: ${event.file} was not written by this shipper (its MAC does not verify): set aside as ${event.file}.rejected, not uploaded`);
      break;
    case 'conflict':
      io.stderr(`joblogs: ${event.key} already holds another writer's chunk: uploading stopped, the rest stays in the spool`);
      break;
    case 'dropped':
      io.stderr(`joblogs: spool full, dropped ${event.key} (${event.lines} lines)`);
      break;
    case 'spool-error':
      io.stderr(`joblogs: spool error: ${event.error.message}`);
      break;
    case 'marker-failed':
      if (verbose) io.stderr(`joblogs: job marker not written yet: ${event.error.message}; retrying`);
      break;
    case 'cadence':
      if (verbose) io.stderr(`joblogs: sealing chunks every ${event.intervalMs} ms (${event.reason})`);
      break;
    case 'watch-read-failed':
      if (verbose) io.stderr(`joblogs: ${event.error.message}; keeping the current flush interval`);
      break;
  }
}

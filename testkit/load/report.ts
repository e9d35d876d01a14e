/**
 * A load run's figures: the console summary, docs/load.md (the last full run, written by
 * `npm run load`) and the row the smoke test records for docs/robustness.md.
 */
import type { LoadReport } from './types.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const perSecond = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** The headline figures, one per line (console and docs). */
export function summaryLines(r: LoadReport): string[] {
  const o = r.options;
  const f = r.freshnessMs;
  const e = r.errors;
  const inv = r.invariant;
  return [
    `jobs: ${o.jobs} for ${o.durationMs / 1000} s (${r.mix.slow.jobs} slow, ${r.mix.bursty.jobs} bursty, ${r.mix.chatty.jobs} chatty; ${r.watch.watched.jobs} followed through the logs API's tail), chunks every ${o.flushIntervalMs} ms watched and ${o.idleFlushIntervalMs} ms not (fresh start ${o.freshStartMs} ms, signal read every ~${o.watchPollIntervalMs} ms), ${o.indexers} indexer runner(s)`,
    `lines/s: target ${perSecond(r.targetLinesPerS)}, printed ${perSecond(r.printedLinesPerS)}, indexed during the load ${perSecond(r.indexedLinesPerS)} (${((100 * r.indexedLinesPerS) / Math.max(1, r.printedLinesPerS)).toFixed(0)} % held); ${r.printed.toLocaleString('en-US')} lines in ${r.chunks.toLocaleString('en-US')} chunks (${r.chunksPerS.toFixed(1)} chunks/s)`,
    `backlog when the jobs stopped: ${r.backlogAtEnd.toLocaleString('en-US')} lines; all indexed ${r.drainS === undefined ? 'NOT within the drain timeout' : `${r.drainS.toFixed(1)} s after the jobs stopped`}`,
    `freshness (print → searchable) while the jobs printed (${r.freshnessDuringLoadMs.count} probes): p50 ${seconds(r.freshnessDuringLoadMs.p50)}, p95 ${seconds(r.freshnessDuringLoadMs.p95)}, p99 ${seconds(r.freshnessDuringLoadMs.p99)}, max ${seconds(r.freshnessDuringLoadMs.max)}; all probes incl. the close of every job at once (${f.count}${f.unseen ? `, ${f.unseen} never seen` : ''}): p50 ${seconds(f.p50)}, p95 ${seconds(f.p95)}, p99 ${seconds(f.p99)}`,
    watchLine(r),
    `SQS age at receive while the jobs printed (${r.sqsAgeDuringLoadMs.count} chunk messages): p50 ${seconds(r.sqsAgeDuringLoadMs.p50)}, p95 ${seconds(r.sqsAgeDuringLoadMs.p95)}, p99 ${seconds(r.sqsAgeDuringLoadMs.p99)}, max ${seconds(r.sqsAgeDuringLoadMs.max)}; all (${r.sqsAgeMs.count}): p99 ${seconds(r.sqsAgeMs.p99)}, max ${seconds(r.sqsAgeMs.max)}; chunk queue depth max ${r.queueDepthMax}; ${r.indexerInvocations.count} indexer invocations, ${r.indexerInvocations.meanRecords.toFixed(1)} records and ${r.indexerInvocations.meanMs.toFixed(0)} ms each on average`,
    `errors: ${e.invocationErrors} failed invocations, ${e.recordsRetried} records handed back, ${e.bulkItemsRetried} bulk items retried, ${e.documentsRejected} documents rejected, ${e.dlqMessages} in DLQs, ${e.deadLetterReports} dead-letter reports, ${e.uploadRetries} upload retries, ${e.linesDropped} lines dropped, ${e.shipperErrors} shipper errors, ${e.proberErrors} failed freshness searches, function log ${e.functionWarnings} warnings / ${e.functionErrors} errors, ${e.runnerErrors} runner errors`,
    `invariant: ${inv.holds ? 'HOLDS' : 'FAILS'} — ${inv.jobsChecked} jobs checked, ${inv.printed.toLocaleString('en-US')} printed = ${inv.indexed.toLocaleString('en-US')} in Elasticsearch, ${inv.missing} missing, ${inv.extra} extra, ${inv.wrongContent} wrong; ${inv.downloadsChecked - inv.downloadsFailed} of ${inv.downloadsChecked} download files equal to the printed lines`,
    `event loop delay p99 of the load process: ${r.eventLoopDelayP99Ms.toFixed(0)} ms; run took ${r.durationS.toFixed(0)} s`,
  ];
}

/** Watched against unwatched jobs: what following a job costs (chunk PUTs) and buys (freshness). */
function watchLine(r: LoadReport): string {
  const group = (name: string, g: LoadReport['watch']['watched']) =>
    `${name} ${g.jobs} job(s): ${g.putsPerJobHour.toFixed(0)} chunk PUTs per job-hour (${g.chunks} chunks), freshness p50 ${seconds(g.freshnessMs.p50)}, p95 ${seconds(g.freshnessMs.p95)} (${g.freshnessMs.count} probes)`;
  const w = r.watch.watched;
  const tail =
    w.jobs > 0
      ? `; the tails received ${w.tailLines.toLocaleString('en-US')} lines, ${w.tailErrors} failed requests, ${w.tokensRenewed} tokens renewed after a 401`
      : '';
  return `fresh when watched, while the jobs printed: ${group('watched', w)}${tail}; ${group('unwatched', r.watch.unwatched)}`;
}

/** docs/load.md: the figures of the last `npm run load`, with the per-window timeline. */
export function renderLoadDoc(r: LoadReport, command: string): string {
  const o = r.options;
  const out = [
    '# Load: the last long run',
    '',
    `<!-- Written by \`${command}\` (scripts/load.ts) at the end of its run; do not edit by hand. -->`,
    '',
    `Issue 6, item 4. ${o.jobs} simulated jobs ship through the shipper library (in one process, each`,
    'its own job id and spool) for the whole run at a mix of rates, into the local stack: moto S3 →',
    `bucket notification → SQS → ${o.indexers} event-source runner(s) with the real indexer handler (the`,
    "template's batch size and window) → Elasticsearch, and job markers → the real assembler →",
    `download files. ${r.watch.watched.jobs} of the jobs (\`--watched\`) are followed for the whole run through the`,
    "logs API's long-poll tail (the viewer's follow mode), so the API writes their watch signal and",
    `their shippers seal chunks every ${o.flushIntervalMs} ms; the others every ${o.idleFlushIntervalMs} ms (docs/shipper.md,`,
    '"Fresh when watched"); the figures are given for both. Freshness is measured on probe lines (each job\'s first line after every',
    `${o.probeEveryMs / 1000} s): print time → first search answer containing the line's document id`,
    `(polled every ${o.probePollMs} ms, no explicit refresh). SQS age is each chunk message's age when an indexer`,
    'invocation got it (SentTimestamp → invocation). At the end every shipper is closed (final chunk',
    'and marker), the pipeline drains, and every job is checked: every printed line exactly once in',
    "Elasticsearch, by `_id` and by content (testkit/invariant.ts, the fault scenarios'",
    'invariant), and the download files of the sampled jobs equal to the printed lines.',
    '',
    `Run ${r.startedAt}; seed ${o.seed}; rate scale ${o.rateScale}; chunks every ${o.flushIntervalMs} ms watched, ${o.idleFlushIntervalMs} ms not.`,
    '',
    ...summaryLines(r).map((l) => `- ${l}`),
    '',
    '| class | jobs | mean lines/s (planned) |',
    '|---|---|---|',
    ...Object.entries(r.mix).map(([k, v]) => `| ${k} | ${v.jobs} | ${Math.round(v.meanLinesPerS)} |`),
    '',
  ];
  if (r.invariant.problems.length) out.push('Problems:', '', ...r.invariant.problems.map((p) => `- ${p}`), '');
  if (r.notes.length) out.push('Notes:', '', ...r.notes.map((n) => `- ${n}`), '');
  out.push('Per 10 s window (lines/s; queue = chunk messages waiting or in flight at the end of the window):', '');
  out.push('| t (s) | printed/s | indexed/s | queue | SQS age max (s) | freshness p95 (s) | event loop p99 (ms) |', '|---|---|---|---|---|---|---|');
  let prev = 0;
  for (const w of r.windows) {
    const secs = Math.max(1, w.atS - prev);
    prev = w.atS;
    out.push(
      `| ${w.atS} | ${Math.round(w.printed / secs)} | ${Math.round(w.indexed / secs)} | ${w.queueDepth} | ${(w.sqsAgeMaxMs / 1000).toFixed(1)} | ${w.freshnessP95Ms === undefined ? '–' : (w.freshnessP95Ms / 1000).toFixed(1)} | ${w.eventLoopP99Ms.toFixed(0)} |`,
    );
  }
  out.push('');
  return out.join('\n');
}

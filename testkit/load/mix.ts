/**
 * The simulated jobs of a load run: who prints how fast, and what each line says. Pure and
 * seeded, so a run's mix can be reproduced and a line's text rebuilt from (job, number, time)
 * when the invariant is checked — nothing printed has to be kept in memory but its time.
 */
import { seededRandom } from '../random.js';
import { RateClass, type JobPlan, type MixOptions } from './types.js';

const logUniform = (random: () => number, min: number, max: number): number => Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min)));

/**
 * A realistic mix (issue 6): most jobs are training loops printing a step line now and then
 * (`slow`, 1–10 lines/s), some print in bursts (evaluation tables, tracebacks, data-loader
 * dumps: `bursty`, 1 line/s with 1–3 s bursts of 100–1000 lines/s every 20–60 s), a few are
 * very chatty all the time (`chatty`, 150–400 lines/s). `rateScale` multiplies every rate.
 */
export function planJobs(o: MixOptions): JobPlan[] {
  const random = seededRandom(o.seed);
  const chatty = Math.round(o.jobs * o.chattyShare);
  const bursty = Math.round(o.jobs * o.burstyShare);
  const watchedJobs = Math.round(o.jobs * o.watchedShare);
  // Jobs that started at different times seal their chunks at different times: spread the first
  // lines over the longest interval a job seals by instead of starting every clock at once — over
  // the 1 s watched interval alone, the unwatched jobs sealed in lockstep every 30 s and each burst
  // held the watched jobs' chunks up in the queue. At most 30 s, and a quarter of the run, so that
  // in a short run every job prints for most of it.
  const startSpreadMs = Math.min(Math.max(o.flushIntervalMs, o.idleFlushIntervalMs), 30_000, o.durationMs / 4);
  return Array.from({ length: o.jobs }, (_, i): JobPlan => {
    const jobId = `${o.jobPrefix}-${String(i).padStart(4, '0')}`;
    // Watched jobs spread over the index range too, independently of the rate classes (another prime).
    const watched = (i * 6007) % o.jobs < watchedJobs;
    // Spread the kinds over the index range so that any prefix of the jobs is a mix too.
    const slot = (i * 7919) % o.jobs;
    const rateClass = slot < chatty ? RateClass.chatty : slot < chatty + bursty ? RateClass.bursty : RateClass.slow;
    const startOffsetMs = Math.floor(random() * startSpreadMs);
    if (rateClass === RateClass.chatty) return { jobId, rateClass, baseRate: o.rateScale * (150 + random() * 250), startOffsetMs, watched };
    if (rateClass === RateClass.slow) return { jobId, rateClass, baseRate: o.rateScale * logUniform(random, 1, 10), startOffsetMs, watched };
    const everyMs = Math.round(20_000 + random() * 40_000);
    return {
      jobId,
      rateClass,
      baseRate: o.rateScale * 1,
      startOffsetMs,
      watched,
      burst: {
        rate: o.rateScale * logUniform(random, 100, 1000),
        durationMs: Math.round(1000 + random() * 2000),
        everyMs,
        phaseMs: Math.floor(random() * everyMs),
      },
    };
  });
}

/** Lines per second the job prints `elapsedMs` after it started. */
export function rateAt(plan: JobPlan, elapsedMs: number): number {
  const b = plan.burst;
  if (b && (elapsedMs + b.phaseMs) % b.everyMs < b.durationMs) return b.rate;
  return plan.baseRate;
}

/** Mean lines per second of a plan over a long run. */
export function meanRate(plan: JobPlan): number {
  const b = plan.burst;
  return b ? plan.baseRate + ((b.rate - plan.baseRate) * b.durationMs) / b.everyMs : plan.baseRate;
}

/**
 * Line `n` of a job, printed at `printedAt` (epoch ms): a training-log line with a leading
 * timestamp (the indexer makes it `@timestamp`) and a level. Rebuilt, not stored, at the check.
 */
export function lineText(jobId: string, n: number, printedAt: number): string {
  const loss = (2.5 / Math.sqrt(1 + n / 50) + ((n * 37) % 101) / 1000).toFixed(4);
  const level = n % 997 === 996 ? 'WARNING' : 'INFO';
  return `${new Date(printedAt).toISOString()} ${level} ${jobId} step=${n} loss=${loss} lr=3.0e-4 samples_per_s=${1000 + ((n * 7919) % 500)}`;
}

import { registerJob } from '../shared/launcher/index.js';
import { CliConfigError } from './errors.js';
import { createS3Client } from './s3.js';

export interface RegisterFlags {
  jobId?: string;
  owner?: string;
  team?: string;
  bucket?: string;
  label?: string[];
  forcePathStyle?: boolean;
}

/**
 * `joblogs register`: what a launcher (or a person on the local stack) runs before starting a job,
 * with credentials that may write `registry/`: records who owns the job. Prints the registration.
 */
export async function registerCommand(flags: RegisterFlags, io: { stdout: (text: string) => void }): Promise<number> {
  const missing = (['jobId', 'owner', 'bucket'] as const).filter((name) => !flags[name]);
  if (missing.length > 0) throw new CliConfigError(`missing ${missing.map((m) => `--${m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  const s3 = createS3Client({ forcePathStyle: flags.forcePathStyle });
  try {
    const registration = await registerJob({
      s3,
      bucket: flags.bucket!,
      jobId: flags.jobId!,
      owner: flags.owner!,
      team: flags.team,
      labels: labels(flags.label ?? []),
    });
    io.stdout(`${JSON.stringify(registration)}\n`);
    return 0;
  } finally {
    s3.destroy();
  }
}

function labels(pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new CliConfigError(`--label takes name=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

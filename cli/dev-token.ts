import { CliConfigError } from './errors.js';

export interface DevTokenFlags {
  user?: string;
  team?: string[];
  issuer: string;
  ttl?: string;
}

/** The local stack's issuer (testkit/stack/host.ts); the `local` stage's functions trust it. */
export const DEFAULT_DEV_ISSUER = 'http://127.0.0.1:9400';

/**
 * `joblogs dev-token`: asks the local stack's token issuer for a token of a user and teams, and
 * prints it. Only a loopback issuer is asked: a token from anywhere else would be a real identity.
 */
export async function devTokenCommand(flags: DevTokenFlags, io: { stdout: (text: string) => void }): Promise<number> {
  if (!flags.user) throw new CliConfigError('missing --user');
  const issuer = new URL(flags.issuer);
  if (issuer.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)) {
    throw new CliConfigError(`--issuer must be the local stack's issuer on loopback, got ${flags.issuer}`);
  }
  const url = new URL('/dev/token', issuer);
  url.searchParams.set('user', flags.user);
  for (const team of flags.team ?? []) url.searchParams.append('team', team);
  if (flags.ttl) url.searchParams.set('ttl', flags.ttl);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new CliConfigError(
      `the local token issuer does not answer on ${issuer.origin} (is the local stack up? \`npm run stack:up\`): ${(error as Error).message}`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (!response.ok || !body.token) throw new CliConfigError(`the local token issuer refused: ${body.error?.message ?? `HTTP ${response.status}`}`);
  io.stdout(`${body.token}\n`);
  return 0;
}

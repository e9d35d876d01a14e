/**
 * A person following a job in the viewer, as the logs API sees it: the long-poll tail
 * (`GET /jobs/{id}/lines?after=<next>&wait=5`, docs/logs-api.md) asked again as soon as it answers.
 * While the job runs, the logs API writes the job's watch signal on these requests, and the
 * job's shipper seals chunks every second (docs/shipper.md, "Fresh when watched"). Like the
 * viewer, it asks for a fresh token when one is refused (401): a run outlasts a token.
 */
const WAIT_S = 5;
const ERROR_PAUSE_MS = 1000;

export class TailFollower {
  readonly #url: string;
  readonly #freshToken: () => Promise<string>;
  #token: Promise<string>;
  #stopping = false;
  readonly #abandon = new AbortController();
  #done: Promise<void> | undefined;
  /** Lines the tail answered with, and requests that failed (retried after a pause). */
  lines = 0;
  errors = 0;
  /** Tokens asked for again after a 401. */
  tokensRenewed = 0;
  lastError: string | undefined;

  constructor(o: { apiUrl: string; jobId: string; token: () => Promise<string> }) {
    this.#url = `${o.apiUrl}/jobs/${encodeURIComponent(o.jobId)}/lines`;
    this.#freshToken = o.token;
    this.#token = o.token();
  }

  start(): void {
    this.#done ??= this.#follow();
  }

  /** Follows on until the job is complete and nothing is left after the cursor (bounded by `timeoutMs`). */
  async finish(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([this.#done, deadline]);
    this.#abandon.abort();
    await this.#done;
  }

  async #ask(cursor: string): Promise<Response> {
    return fetch(`${this.#url}?after=${encodeURIComponent(cursor)}&wait=${WAIT_S}&limit=1000`, {
      headers: { authorization: `Bearer ${await this.#token}` },
      signal: AbortSignal.any([this.#abandon.signal, AbortSignal.timeout((WAIT_S + 30) * 1000)]),
    });
  }

  async #follow(): Promise<void> {
    let cursor = 'start';
    const started = Date.now();
    for (;;) {
      try {
        let response = await this.#ask(cursor);
        if (response.status === 401) {
          await response.body?.cancel();
          this.tokensRenewed++;
          this.#token = this.#freshToken();
          response = await this.#ask(cursor);
        }
        const body = (await response.json()) as { lines?: unknown[]; next?: string; status?: string; hasAfter?: boolean; message?: string };
        if (response.status !== 200 || typeof body.next !== 'string') throw new Error(`HTTP ${response.status}: ${body.message ?? ''}`);
        this.lines += body.lines?.length ?? 0;
        cursor = body.next;
        if (this.#stopping && body.status === 'complete' && !body.hasAfter) return;
      } catch (error) {
        if (this.#abandon.signal.aborted) return;
        // A token request that failed is asked again with the next request, not kept failing.
        this.#token = this.#token.catch(() => this.#freshToken());
        this.errors++;
        this.lastError = `${Math.round((Date.now() - started) / 1000)} s: ${String(error)}`;
        await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
      }
    }
  }
}

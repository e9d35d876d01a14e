/** Where a command writes: results on stdout, progress and notes on stderr. */
export interface AdminIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: the bar redraws in place; otherwise a line every few seconds. */
  stderrIsTty: boolean;
}

const WIDTH = 28;
const LINE_EVERY_MS = 5_000;

/**
 * A progress bar for long work (`[=====>     ] 45% 4500/10000 chunks, 120 chunks/s`) on stderr:
 * redrawn in place at a terminal (at most 10 times a second), one line every 5 s otherwise (a CI
 * log), nothing when disabled. Never on stdout, so `--json` output stays one document.
 */
export class Progress {
  readonly #io: AdminIo;
  readonly #unit: string;
  readonly #now: () => number;
  readonly #enabled: boolean;
  readonly #started: number;
  #total: number | undefined;
  #done = 0;
  #drawnAt = 0;

  constructor(io: AdminIo, o: { unit: string; total?: number | undefined; enabled: boolean; now?: () => number }) {
    this.#io = io;
    this.#unit = o.unit;
    this.#total = o.total;
    this.#enabled = o.enabled;
    this.#now = o.now ?? Date.now;
    this.#started = this.#now();
  }

  get done(): number {
    return this.#done;
  }

  /** Per second since the start. */
  get rate(): number {
    const s = (this.#now() - this.#started) / 1000;
    return s > 0 ? this.#done / s : 0;
  }

  setTotal(total: number): void {
    this.#total = total;
  }

  advance(n = 1): void {
    this.#done += n;
    const now = this.#now();
    if (now - this.#drawnAt >= (this.#io.stderrIsTty ? 100 : LINE_EVERY_MS)) this.#draw(now);
  }

  /** The last state, and a newline at a terminal. */
  finish(): void {
    if (!this.#enabled) return;
    this.#draw(this.#now());
    if (this.#io.stderrIsTty) this.#io.stderr('\n');
  }

  #draw(now: number): void {
    this.#drawnAt = now;
    if (!this.#enabled) return;
    const total = this.#total;
    const share = total ? Math.min(1, this.#done / total) : undefined;
    const bar =
      share === undefined
        ? ''
        : `[${'='.repeat(Math.max(0, Math.round(share * WIDTH) - 1))}${share < 1 ? '>' : '='}${' '.repeat(WIDTH - Math.max(1, Math.round(share * WIDTH)))}] ${Math.floor(share * 100)}% `;
    const text = `${bar}${this.#done}${total !== undefined ? `/${total}` : ''} ${this.#unit}, ${this.rate.toFixed(1)} ${this.#unit}/s`;
    this.#io.stderr(this.#io.stderrIsTty ? `\r${text}\x1b[K` : `${text}\n`);
  }
}

import fs from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SpoolError } from './errors.js';
import { SpoolLock } from './spool-lock.js';

/** What a spooled chunk carries besides its gzip body. */
export interface SpoolHeader {
  seq: number;
  lines: number;
  /** The line number after this chunk's last line. */
  nextLine: number;
  metadata: Record<string, string>;
}

export interface SpoolEntry extends SpoolHeader {
  /** Size on disk (header + gzip body), or of the gzip body when kept in memory. */
  bytes: number;
  file: string;
  /** Set when the chunk could not be written to disk: it waits in memory instead (and dies with the process). */
  body?: Buffer;
}

/** Survives restarts: the next seq and line number to use, and lines dropped so far. */
export interface SpoolState {
  nextSeq: number;
  nextLine: number;
  droppedLines: number;
}

const STATE_FILE = 'state.json';
const CHUNK_SUFFIX = '.chunk';

/**
 * The on-disk queue of one job and source: `<seq>.chunk` files (a JSON header line, then the gzip
 * body) and `state.json`, each written to a temporary name and renamed, so a crash leaves either
 * the old or the new file, never half of one. Entries are kept in seq order. A chunk that cannot
 * be written (disk full, I/O error) is not lost: it is queued in memory in its place.
 * The directory is locked ({@link SpoolLock}) while open.
 */
export class Spool {
  readonly dir: string;
  readonly #lock: SpoolLock;
  #entries: SpoolEntry[];
  #bytes: number;
  #memoryBytes = 0;

  private constructor(dir: string, lock: SpoolLock, entries: SpoolEntry[]) {
    this.dir = dir;
    this.#lock = lock;
    this.#entries = entries;
    this.#bytes = entries.reduce((n, e) => n + e.bytes, 0);
  }

  /**
   * Opens (creating) and locks the spool directory; returns the spool and the state to resume
   * from. Throws {@link SpoolLockedError} when another live shipper holds it.
   */
  static async open(dir: string): Promise<{ spool: Spool; state: SpoolState }> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (cause) {
      throw new SpoolError(`Cannot open spool directory ${dir}: ${(cause as Error).message}`, { cause });
    }
    const lock = await SpoolLock.acquire(dir);
    try {
      const names = await readdir(dir);
      const entries: SpoolEntry[] = [];
      for (const name of names) {
        const file = path.join(dir, name);
        if (name.endsWith('.tmp')) {
          await unlink(file).catch(() => undefined);
          continue;
        }
        if (!name.endsWith(CHUNK_SUFFIX)) continue;
        const raw = await readFile(file);
        const { header } = splitSpoolFile(raw, file);
        entries.push({ ...header, bytes: raw.length, file });
      }
      entries.sort((a, b) => a.seq - b.seq);
      const state = await readState(dir);
      // A crash between writing a chunk and writing the state must not let a seq be reused.
      const last = entries.at(-1);
      if (last && last.seq >= state.nextSeq) state.nextSeq = last.seq + 1;
      if (last && last.nextLine > state.nextLine) state.nextLine = last.nextLine;
      return { spool: new Spool(dir, lock, entries), state };
    } catch (cause) {
      await lock.release();
      if (cause instanceof SpoolError) throw cause;
      throw new SpoolError(`Cannot open spool directory ${dir}: ${(cause as Error).message}`, { cause });
    }
  }

  get entries(): readonly SpoolEntry[] {
    return this.#entries;
  }

  /** Bytes on disk of the spooled chunks. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Gzip bytes of the chunks kept in memory because they could not be written. */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  oldest(): SpoolEntry | undefined {
    return this.#entries[0];
  }

  /**
   * Writes a chunk (and then the state) atomically and appends it to the queue. When the chunk
   * cannot be written it is queued in memory instead and `writeError` says why; nothing throws.
   */
  async add(header: SpoolHeader, gzipBody: Buffer, state: SpoolState): Promise<{ entry: SpoolEntry; writeError?: SpoolError }> {
    const file = path.join(this.dir, `${String(header.seq).padStart(10, '0')}${CHUNK_SUFFIX}`);
    const head = Buffer.from(JSON.stringify(header) + '\n', 'utf8');
    try {
      await writeAtomic(file, [head, gzipBody]);
    } catch (cause) {
      const entry: SpoolEntry = { ...header, bytes: gzipBody.length, file, body: gzipBody };
      this.#entries.push(entry);
      this.#memoryBytes += entry.bytes;
      const writeError = new SpoolError(`Cannot write chunk ${header.seq} to the spool (${(cause as Error).message}); it waits in memory for its upload`, { cause });
      return { entry, writeError };
    }
    const entry: SpoolEntry = { ...header, bytes: head.length + gzipBody.length, file };
    this.#entries.push(entry);
    this.#bytes += entry.bytes;
    // The chunk is safe; a stale state file is corrected from the chunk files at the next open.
    const writeError = await this.saveState(state).then(
      () => undefined,
      (cause: Error) => new SpoolError(`Cannot write the spool state (${cause.message})`, { cause }),
    );
    return writeError ? { entry, writeError } : { entry };
  }

  /** Unlocks the directory (the entries stay for the next shipper). */
  async release(): Promise<void> {
    await this.#lock.release();
  }

  async saveState(state: SpoolState): Promise<void> {
    await writeAtomic(path.join(this.dir, STATE_FILE), [Buffer.from(JSON.stringify(state))]);
  }

  async readBody(entry: SpoolEntry): Promise<Buffer> {
    if (entry.body) return entry.body;
    return splitSpoolFile(await readFile(entry.file), entry.file).body;
  }

  /** Removes an entry (uploaded or dropped) from disk and from the queue. */
  async remove(entry: SpoolEntry): Promise<void> {
    const index = this.#entries.indexOf(entry);
    if (index === -1) return;
    this.#entries.splice(index, 1);
    if (entry.body) {
      this.#memoryBytes -= entry.bytes;
      return;
    }
    this.#bytes -= entry.bytes;
    await unlink(entry.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new SpoolError(`Cannot remove spooled chunk ${entry.file}`, { cause: error });
    });
  }
}

function splitSpoolFile(raw: Buffer, file: string): { header: SpoolHeader; body: Buffer } {
  const newline = raw.indexOf(0x0a);
  try {
    if (newline === -1) throw new Error('no header line');
    const header = JSON.parse(raw.subarray(0, newline).toString('utf8')) as SpoolHeader;
    if (!Number.isSafeInteger(header.seq) || !Number.isSafeInteger(header.lines) || !Number.isSafeInteger(header.nextLine) || typeof header.metadata !== 'object') throw new Error('bad header');
    return { header, body: raw.subarray(newline + 1) };
  } catch (cause) {
    throw new SpoolError(`Spooled chunk ${file} is unreadable`, { cause });
  }
}

async function readState(dir: string): Promise<SpoolState> {
  try {
    const state = JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as Partial<SpoolState>;
    return { nextSeq: state.nextSeq ?? 0, nextLine: state.nextLine ?? 0, droppedLines: state.droppedLines ?? 0 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { nextSeq: 0, nextLine: 0, droppedLines: 0 };
    throw new SpoolError(`Spool state ${path.join(dir, STATE_FILE)} is unreadable`, { cause: error });
  }
}

/**
 * Temporary file, fsync, rename. Callback fs rather than FileHandle: a chunk is written every
 * second or faster, on the thread that passes the job's output through, and FileHandle's promise
 * machinery cost several times the syscalls themselves there.
 */
function writeAtomic(file: string, parts: Buffer[]): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  return new Promise((resolve, reject) => {
    const fail = (error: Error, fd?: number) => {
      // Half a file must not be left behind (it would count against a full disk).
      const cleanUp = () => fs.unlink(tmp, () => reject(error));
      if (fd === undefined) cleanUp();
      else fs.close(fd, cleanUp);
    };
    fs.open(tmp, 'w', (openError, fd) => {
      if (openError) return fail(openError);
      fs.writev(fd, parts, (writeError, written) => {
        const total = parts.reduce((n, p) => n + p.length, 0);
        if (writeError || written !== total) return fail(writeError ?? new Error(`short write to ${tmp}: ${written} of ${total} bytes`), fd);
        fs.fsync(fd, (syncError) => {
          if (syncError) return fail(syncError, fd);
          fs.close(fd, (closeError) => {
            if (closeError) return fail(closeError);
            fs.rename(tmp, file, (renameError) => (renameError ? fail(renameError) : resolve()));
          });
        });
      });
    });
  });
}

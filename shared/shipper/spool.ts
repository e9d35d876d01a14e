import fs from 'node:fs';
import { readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SpoolError } from './errors.js';
import { ensurePrivateDir } from './private-dir.js';
import { SpoolKey } from './spool-key.js';
import { SpoolLock } from './spool-lock.js';

/** What a spooled chunk carries besides its gzip body. */
export interface SpoolHeader {
  seq: number;
  lines: number;
  /** The line number after this chunk's last line. */
  nextLine: number;
  metadata: Record<string, string>;
}

/** A header line as stored: the header and the MAC of (header without MAC, newline, body). */
type StoredHeader = SpoolHeader & { mac?: string };

export interface SpoolEntry extends SpoolHeader {
  /** Size on disk (header + gzip body), or of the gzip body when kept in memory. */
  bytes: number;
  file: string;
  /** Set when the chunk could not be written to disk: it waits in memory instead (and dies with the process). */
  body?: Buffer;
}

/** Survives restarts: the next seq and line number to use, lines dropped and secrets redacted so far. */
export interface SpoolState {
  nextSeq: number;
  nextLine: number;
  droppedLines: number;
  /** Absent in state files written before secrets were counted: 0. */
  redactions?: number;
}

const STATE_FILE = 'state.json';
const CHUNK_SUFFIX = '.chunk';
/**
 * Gzip bodies of the chunks written last, kept so that their upload does not read them back
 * from disk (a file read, a MAC check and one more buffer per chunk): the uploader is usually
 * right behind the framer. Bounded: while uploads lag, older bodies are read from disk as before.
 */
const RECENT_BODY_BYTES = 2 * 1024 * 1024;

/**
 * The on-disk queue of one job and source: `<seq>.chunk` files (a JSON header line, then the gzip
 * body) and `state.json`, each written to a temporary name and renamed, so a crash leaves either
 * the old or the new file, never half of one. Entries are kept in seq order. A chunk that cannot
 * be written (disk full, I/O error) is not lost: it is queued in memory in its place.
 *
 * Private: the directory and the ones above it up to the spool root are this user's own (0700,
 * checked — never another user's directory or a link someone placed), files are 0600 and created
 * exclusively, and every file carries an HMAC under the spool's key ({@link SpoolKey}): a file
 * whose MAC does not verify is set aside as `*.rejected` and never uploaded. The directory is
 * locked ({@link SpoolLock}) while open.
 */
export class Spool {
  readonly dir: string;
  readonly #lock: SpoolLock;
  readonly #key: SpoolKey;
  #entries: SpoolEntry[];
  #bytes: number;
  #memoryBytes = 0;
  /** Bodies of spooled entries still in memory, oldest first (at most {@link RECENT_BODY_BYTES}). */
  readonly #recent = new Map<SpoolEntry, Buffer>();
  #recentBytes = 0;

  private constructor(dir: string, lock: SpoolLock, key: SpoolKey, entries: SpoolEntry[]) {
    this.dir = dir;
    this.#lock = lock;
    this.#key = key;
    this.#entries = entries;
    this.#bytes = entries.reduce((n, e) => n + e.bytes, 0);
  }

  /**
   * Opens (creating, privately, under `root`) and locks the spool directory; returns the spool,
   * the state to resume from and the files it refused. Throws {@link SpoolLockedError} while
   * another live shipper holds it, {@link SpoolError} for a path it must not use.
   */
  static async open(root: string, dir: string): Promise<{ spool: Spool; state: SpoolState; rejected: string[] }> {
    await ensurePrivateDir(root, dir);
    const key = await SpoolKey.open(dir);
    const lock = await SpoolLock.acquire(dir);
    try {
      const { entries, rejected } = await readEntries(dir, key);
      const state = await readState(dir, key);
      // A crash between writing a chunk and writing the state must not let a seq be reused.
      const last = entries.at(-1);
      if (last && last.seq >= state.nextSeq) state.nextSeq = last.seq + 1;
      if (last && last.nextLine > state.nextLine) state.nextLine = last.nextLine;
      return { spool: new Spool(dir, lock, key, entries), state, rejected };
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
    const head = this.#signedHeader(header, gzipBody);
    try {
      await writeAtomic(file, [head, gzipBody]);
    } catch (cause) {
      const entry: SpoolEntry = { ...header, bytes: gzipBody.length, file, body: gzipBody };
      this.#entries.push(entry);
      this.#memoryBytes += entry.bytes;
      const writeError = new SpoolError(`Cannot write chunk ${header.seq} to the spool (${(cause as Error).message}); it waits in memory for its upload`, {
        cause,
      });
      return { entry, writeError };
    }
    const entry: SpoolEntry = { ...header, bytes: head.length + gzipBody.length, file };
    this.#entries.push(entry);
    this.#bytes += entry.bytes;
    this.#remember(entry, gzipBody);
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
    const text = Buffer.from(JSON.stringify(state));
    await writeAtomic(path.join(this.dir, STATE_FILE), [Buffer.from(JSON.stringify({ ...state, mac: this.#key.sign([text]) }))]);
  }

  /** The chunk's gzip body, verified again against its MAC as it is read. */
  async readBody(entry: SpoolEntry): Promise<Buffer> {
    if (entry.body) return entry.body;
    // The bytes that were written and signed: what is on disk can only be these or a tampered copy.
    const recent = this.#recent.get(entry);
    if (recent) return recent;
    const raw = await readFile(entry.file, { flag: fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW });
    const verified = verifySpoolFile(raw, entry.file, this.#key);
    if (!verified) throw new SpoolError(`Spooled chunk ${entry.file} changed on disk and no longer verifies; it is not uploaded`);
    return verified.body;
  }

  #remember(entry: SpoolEntry, body: Buffer): void {
    if (body.length > RECENT_BODY_BYTES) return;
    this.#recent.set(entry, body);
    this.#recentBytes += body.length;
    for (const [old] of this.#recent) {
      if (this.#recentBytes <= RECENT_BODY_BYTES) break;
      this.#forget(old);
    }
  }

  #forget(entry: SpoolEntry): void {
    const body = this.#recent.get(entry);
    if (!body) return;
    this.#recent.delete(entry);
    this.#recentBytes -= body.length;
  }

  #signedHeader(header: SpoolHeader, body: Buffer): Buffer {
    const plain = Buffer.from(JSON.stringify(header), 'utf8');
    return Buffer.from(`${JSON.stringify({ ...header, mac: this.#key.sign([plain, NEWLINE, body]) })}\n`, 'utf8');
  }

  /** Removes an entry (uploaded or dropped) from disk and from the queue. */
  async remove(entry: SpoolEntry): Promise<void> {
    const index = this.#entries.indexOf(entry);
    if (index === -1) return;
    this.#entries.splice(index, 1);
    this.#forget(entry);
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

const NEWLINE = Buffer.from('\n');

/** The chunks in the spool whose MAC verifies, in seq order; others are set aside (`*.rejected`) and named. */
async function readEntries(dir: string, key: SpoolKey): Promise<{ entries: SpoolEntry[]; rejected: string[] }> {
  const entries: SpoolEntry[] = [];
  const rejected: string[] = [];
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    if (name.endsWith('.tmp')) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (!name.endsWith(CHUNK_SUFFIX)) continue;
    const raw = await readFile(file, { flag: fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW }).catch(() => undefined);
    const verified = raw && verifySpoolFile(raw, file, key);
    if (!verified) {
      rejected.push(file);
      await rename(file, `${file}.rejected`).catch(() => unlink(file).catch(() => undefined));
      continue;
    }
    entries.push({ ...verified.header, bytes: raw.length, file });
  }
  entries.sort((a, b) => a.seq - b.seq);
  return { entries, rejected };
}

/** Header and body of a spool file whose MAC verifies; undefined for anything else. */
function verifySpoolFile(raw: Buffer, file: string, key: SpoolKey): { header: SpoolHeader; body: Buffer } | undefined {
  const newline = raw.indexOf(0x0a);
  if (newline === -1) return undefined;
  let stored: StoredHeader;
  try {
    stored = JSON.parse(raw.subarray(0, newline).toString('utf8')) as StoredHeader;
  } catch {
    return undefined;
  }
  const { mac, ...header } = stored;
  const body = raw.subarray(newline + 1);
  if (!key.verify([Buffer.from(JSON.stringify(header), 'utf8'), NEWLINE, body], mac)) return undefined;
  if (
    !Number.isSafeInteger(header.seq) ||
    !Number.isSafeInteger(header.lines) ||
    !Number.isSafeInteger(header.nextLine) ||
    typeof header.metadata !== 'object'
  ) {
    throw new SpoolError(`Spooled chunk ${file} has a bad header`);
  }
  return { header, body };
}

async function readState(dir: string, key: SpoolKey): Promise<SpoolState> {
  const file = path.join(dir, STATE_FILE);
  let stored: Partial<SpoolState> & { mac?: string };
  try {
    stored = JSON.parse(await readFile(file, { encoding: 'utf8', flag: fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW })) as Partial<SpoolState> & {
      mac?: string;
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { nextSeq: 0, nextLine: 0, droppedLines: 0 };
    throw new SpoolError(`Spool state ${file} is unreadable`, { cause: error });
  }
  const { mac, ...state } = stored;
  if (!key.verify([Buffer.from(JSON.stringify(state))], mac))
    throw new SpoolError(`Spool state ${file} was not written by this spool (its MAC does not verify); refusing it`);
  return {
    nextSeq: state.nextSeq ?? 0,
    nextLine: state.nextLine ?? 0,
    droppedLines: state.droppedLines ?? 0,
    ...(state.redactions ? { redactions: state.redactions } : {}),
  };
}

/**
 * Temporary file, fsync, rename. Callback fs rather than FileHandle: a chunk is written every
 * second or faster, on the thread that passes the job's output through, and FileHandle's promise
 * machinery cost several times the syscalls themselves there.
 */
let tmpCounter = 0;

function writeAtomic(file: string, parts: Buffer[]): Promise<void> {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  return new Promise((resolve, reject) => {
    const fail = (error: Error, fd?: number) => {
      // Half a file must not be left behind (it would count against a full disk).
      const cleanUp = () => fs.unlink(tmp, () => reject(error));
      if (fd === undefined) cleanUp();
      else fs.close(fd, cleanUp);
    };
    // Exclusive and never through a link: a file (or link) someone placed under this name is not ours to write.
    fs.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600, (openError, fd) => {
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

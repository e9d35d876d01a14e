import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SpoolError } from './errors.js';

export const KEY_FILE = 'spool.key';
const KEY_BYTES = 32;

/**
 * The spool's own secret: 32 random bytes in `spool.key` (0600, created exclusively, never
 * followed through a link). Every file the shipper spools carries an HMAC-SHA256 under it, and
 * only files whose MAC verifies are ever uploaded — a chunk someone else placed in the spool is
 * refused, whatever its name says.
 *
 * @example
 * const key = await SpoolKey.open(dir);
 * const mac = key.sign([header, body]);
 * key.verify([header, body], mac); // true
 */
export class SpoolKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  static async open(dir: string): Promise<SpoolKey> {
    const file = path.join(dir, KEY_FILE);
    try {
      const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      const key = randomBytes(KEY_BYTES);
      try {
        await handle.writeFile(key);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return new SpoolKey(key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new SpoolError(`Cannot create the spool key ${file}: ${(error as Error).message}`, { cause: error });
    }
    return new SpoolKey(await readKey(file));
  }

  sign(parts: readonly Buffer[]): string {
    const hmac = createHmac('sha256', this.#key);
    for (const part of parts) hmac.update(part);
    return hmac.digest('hex');
  }

  verify(parts: readonly Buffer[], mac: unknown): boolean {
    if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
    return timingSafeEqual(Buffer.from(this.sign(parts), 'hex'), Buffer.from(mac, 'hex'));
  }
}

async function readKey(file: string): Promise<Buffer> {
  const st = await lstat(file);
  const me = process.getuid?.();
  if (!st.isFile() || (me !== undefined && st.uid !== me) || (st.mode & 0o077) !== 0) {
    throw new SpoolError(`Spool key ${file} is not a private file of this user; refusing the spool`);
  }
  const key = await readFile(file, { flag: constants.O_RDONLY | constants.O_NOFOLLOW });
  if (key.length !== KEY_BYTES) throw new SpoolError(`Spool key ${file} is damaged`);
  return key;
}

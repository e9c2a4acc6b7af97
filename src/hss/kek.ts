// The key-encryption key (DESIGN.md 5): given in configuration (hex), or read from a key file that is created
// with mode 0600 on first run. The file holds 64 hex digits and a newline.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BytesError, fromHex, toHex } from '../bytes/index.js';
import type { RandomSource } from '../crypto/index.js';
import { KEK_LENGTH } from './key-vault.js';
import { StoreFailureError } from './errors.js';

export interface KekSource {
  /** The KEK as 64 hex digits (e.g. from LTKU_HSS_KEK); wins over the file. */
  readonly kekHex?: string;
  /** Path of the key file; created when missing. */
  readonly kekFile: string;
}

const GROUP_OR_OTHER = 0o077;

export function loadKek(source: KekSource, rng: RandomSource): { kek: Uint8Array; created: boolean } {
  if (source.kekHex !== undefined) return { kek: parse(source.kekHex, 'configured KEK'), created: false };
  let text: string | undefined;
  try {
    const mode = statSync(source.kekFile).mode;
    if (process.platform !== 'win32' && (mode & GROUP_OR_OTHER) !== 0) {
      throw new StoreFailureError(
        `key file ${source.kekFile} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    text = readFileSync(source.kekFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text !== undefined) return { kek: parse(text.trim(), `key file ${source.kekFile}`), created: false };
  const kek = rng.randomBytes(KEK_LENGTH);
  mkdirSync(dirname(source.kekFile), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(source.kekFile, `${toHex(kek)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadKek(source, rng);
    throw e;
  }
  chmodSync(source.kekFile, 0o600);
  return { kek, created: true };
}

function parse(text: string, what: string): Uint8Array {
  try {
    return fromHex(text, what, KEK_LENGTH);
  } catch (e) {
    // The message of fromHex names lengths, not content; still, say only what is wrong.
    if (e instanceof BytesError)
      throw new StoreFailureError(`${what}: expected ${KEK_LENGTH * 2} hex digits`);
    throw e;
  }
}

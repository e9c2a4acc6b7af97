// File helpers of `ltku card` and `ltku scp11`: certificates in PEM, DER or GP form; secret files (mode 0600).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../../errors.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** The certificates in a file: PEM CERTIFICATE blocks, or the binary bytes (X.509 DER or GP 7F21). */
export function readCertificateFile(path: string, option: string): Uint8Array[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(
      `--${option}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) {
    const blocks = [...text.matchAll(PEM_CERTIFICATE)].map(
      (m) => new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')),
    );
    if (blocks.length === 0) throw new UsageError(`--${option}: ${path} has no CERTIFICATE block`);
    return blocks;
  }
  return [new Uint8Array(bytes)];
}

/** Writes a new file holding secrets with mode 0600; never overwrites. */
export function writeSecretFile(path: string, text: string, option: string): void {
  if (existsSync(path)) throw new UsageError(`--${option}: ${path} already exists; not overwriting it`);
  writeFileSync(path, text, { flag: 'wx', mode: 0o600 });
  chmodSync(path, 0o600);
}

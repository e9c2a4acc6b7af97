// The PKI directory `ltku pki` manages: files a user can inspect, and pki.json indexing them.
//   pki.json                 index: curve, next serial, the two CAs, every issued certificate, revocations
//   ca-klcc.key|.crt|.der|.crl   the card issuer CA (signs CERT.SD.ECKA): PKCS#8 PEM key (0600), GP 7F21, X.509, CRL
//   ca-kloc.key|.crt|.der|.crl   CA-KLOC (signs CERT.OCE.ECKA)
//   ca-<id>-g<N>.key|.crt|.der|.crl   generation N >= 2 of a CA after `ltku pki rotate` (issue 13); pki.json
//                            keeps the newest in `cas`, the earlier ones (still valid, still signing CRLs) in
//                            `previous`, oldest first
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../../../../bytes/index.js';
import {
  curveByName,
  exportPrivateKeyPem,
  importPrivateKey,
  type EcKeyPair,
} from '../../../../crypto/index.js';
import { issueCrl, type NameInput } from '../../../../pki/index.js';

export const INDEX_FILE = 'pki.json';
export const CA_IDS = ['klcc', 'kloc'] as const;
export type CaId = (typeof CA_IDS)[number];
export const ROLES = ['sd', 'oce'] as const;
export type Role = (typeof ROLES)[number];
/** The CA that signs each leaf role (DESIGN.md 4.2). */
export const ISSUER_OF: Record<Role, CaId> = { sd: 'klcc', oce: 'kloc' };
export const ORGANIZATION = 'ltku';
export const CA_NAMES: Record<CaId, NameInput> = {
  klcc: { organization: ORGANIZATION, commonName: 'CA-KLCC (card issuer)' },
  kloc: { organization: ORGANIZATION, commonName: 'CA-KLOC' },
};
/** How long a CRL is good for before the CA must publish the next one. */
export const CRL_VALIDITY_DAYS = 30;
export const DAY_MS = 86_400_000;

export interface RevokedRecord {
  serial: string;
  date: string;
}

export interface CaRecord {
  name: string;
  key: string;
  gpCertificate: string;
  x509Certificate: string;
  crl: string;
  keyId: string;
  serial: string;
  notAfter: string;
  crlNumber: number;
  revoked: RevokedRecord[];
  /** Issue 13: 1, 2, ... (`ltku pki rotate`); absent in a directory never rotated: 1. */
  generation?: number;
}

export interface IssuedRecord {
  serial: string;
  role: Role;
  format: 'gp' | 'x509';
  issuer: CaId;
  subject: string;
  eid?: string;
  certificate: string;
  key: string;
  curve: string;
  notAfter: string;
  /** Issue 13: the generation of `issuer` that signed it; absent: 1. */
  issuerGeneration?: number;
}

export interface PkiIndex {
  version: 1;
  curve: string;
  nextSerial: number;
  cas: Record<CaId, CaRecord>;
  /** Issue 13: earlier generations of each CA, oldest first (`ltku pki rotate`); absent: none. */
  previous?: Partial<Record<CaId, CaRecord[]>>;
  issued: IssuedRecord[];
}

export class PkiDirError extends Error {
  override name = 'PkiDirError';
}

export function loadIndex(dir: string): PkiIndex {
  const path = join(dir, INDEX_FILE);
  if (!existsSync(path)) throw new PkiDirError(`${path} not found: run \`ltku pki init --dir ${dir}\` first`);
  let index: PkiIndex;
  try {
    index = JSON.parse(readFileSync(path, 'utf8')) as PkiIndex;
  } catch (e) {
    throw new PkiDirError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (
    index?.version !== 1 ||
    !Number.isSafeInteger(index.nextSerial) ||
    !index.cas?.klcc ||
    !index.cas?.kloc
  ) {
    throw new PkiDirError(`${path} is not a version 1 ltku PKI index`);
  }
  return index;
}

/** Writes the index atomically (temporary file, then rename), so a crash never leaves half a file. */
export function saveIndex(dir: string, index: PkiIndex): void {
  const path = join(dir, INDEX_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(index, null, 2) + '\n');
  renameSync(tmp, path);
}

/** Serials are the counter as a minimal big-endian unsigned integer (same bytes in tag 93 and the INTEGER). */
export function takeSerial(index: PkiIndex): Uint8Array {
  const n = index.nextSerial++;
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from(bytes);
}

/** A new file; never overwrites one (a key or certificate lost to a typo cannot be recovered). */
export function writeNewFile(path: string, data: Uint8Array | string, mode = 0o644): void {
  try {
    writeFileSync(path, data, { flag: 'wx', mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new PkiDirError(`${path} already exists; not overwriting it`);
    throw e;
  }
  chmodSync(path, mode); // the umask may have removed bits; make the mode exact
}

/** PKCS#8 PEM, mode 0600. */
export function writePrivateKey(path: string, keyPair: EcKeyPair): void {
  writeNewFile(path, exportPrivateKeyPem(keyPair), 0o600);
}

export function loadCaKey(
  dir: string,
  index: PkiIndex,
  ca: CaId,
  record: CaRecord = index.cas[ca],
): EcKeyPair {
  const path = join(dir, record.key);
  return importPrivateKey(readFileSync(path, 'utf8'));
}

export function pkiCurve(index: PkiIndex) {
  return curveByName(index.curve);
}

export const generationOf = (record: CaRecord): number => record.generation ?? 1;

/** Issue 13: every generation of `ca`, oldest first, the current one (index.cas) last. */
export function caGenerations(index: PkiIndex, ca: CaId): CaRecord[] {
  return [...(index.previous?.[ca] ?? []), index.cas[ca]];
}

/** Issue 13: generation `n` of `ca`, or undefined. */
export function caGeneration(index: PkiIndex, ca: CaId, n: number): CaRecord | undefined {
  return caGenerations(index, ca).find((r) => generationOf(r) === n);
}

/** The X.509 name of a CA generation (generation 1 is CA_NAMES[ca]). */
export function caNameOf(record: CaRecord): NameInput {
  return { organization: ORGANIZATION, commonName: record.name };
}

/** Re-issues `ca`'s CRL (of `record`, default the current generation) with number + 1, over the previous one. */
export function publishCrl(
  dir: string,
  index: PkiIndex,
  ca: CaId,
  caKey: EcKeyPair,
  now: Date,
  record: CaRecord = index.cas[ca],
): string {
  record.crlNumber += 1;
  const crl = issueCrl({
    issuer: caKey,
    issuerName: caNameOf(record),
    number: record.crlNumber,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + CRL_VALIDITY_DAYS * DAY_MS),
    entries: record.revoked.map((r) => ({
      serial: fromHex(r.serial, 'serial'),
      revocationDate: new Date(r.date),
    })),
  });
  const path = join(dir, record.crl);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, crl);
  renameSync(tmp, path);
  return path;
}

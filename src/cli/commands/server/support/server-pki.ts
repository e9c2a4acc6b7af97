// The server's trust material from an `ltku pki` directory: the card issuer (CA-KLCC) as trust anchor, its
// revoked serials, and the newest unrevoked CERT.OCE.ECKA with its key on each curve.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fromHex } from '../../../../bytes/index.js';
import { importPrivateKey } from '../../../../crypto/index.js';
import { anchorFromCertificate, decodeCertificate } from '../../../../pki/index.js';
import type { OceCredential, SessionConfig } from '../../../../server/index.js';
import { loadIndex } from '../../pki/support/pki-dir.js';

function resolveIn(dir: string, path: string): string {
  if (isAbsolute(path)) return path;
  const inDir = join(dir, path);
  return existsSync(inDir) ? inDir : path;
}

export function loadServerPki(
  dir: string,
): Pick<SessionConfig, 'oce' | 'cardIssuers' | 'revokedCardSerials'> {
  const index = loadIndex(dir);
  const klcc = decodeCertificate(new Uint8Array(readFileSync(join(dir, index.cas.klcc.gpCertificate))));
  const revokedOce = new Set(index.cas.kloc.revoked.map((r) => r.serial));
  const oce = new Map<string, OceCredential>();
  for (const rec of index.issued) {
    if (rec.role !== 'oce' || revokedOce.has(rec.serial)) continue;
    const keyPair = importPrivateKey(readFileSync(resolveIn(dir, rec.key), 'utf8'));
    const certificate = new Uint8Array(readFileSync(resolveIn(dir, rec.certificate)));
    oce.set(keyPair.curve.name, { keyPair, certificates: [certificate] }); // later records win
  }
  if (oce.size === 0) {
    throw new Error(
      `${dir}: no unrevoked OCE certificate; run \`ltku pki issue --dir ${dir} --role oce ...\``,
    );
  }
  return {
    oce: [...oce.values()],
    cardIssuers: [anchorFromCertificate(klcc)],
    revokedCardSerials: index.cas.klcc.revoked.map((r) => fromHex(r.serial, 'serial')),
  };
}

// The server's trust material from an `ltku pki` directory: every generation of the card issuer (CA-KLCC) as
// trust anchors, their revoked serials, and on each curve the newest unrevoked CERT.OCE.ECKA with its key
// of each CA-KLOC generation, newest generation first (issue 13: after `ltku pki rotate` the session presents
// the one whose CA-KLOC the card lists in FF33).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fromHex } from '../../../../bytes/index.js';
import { importPrivateKey } from '../../../../crypto/index.js';
import { anchorFromCertificate, decodeCertificate } from '../../../../pki/index.js';
import type { OceCredential, SessionConfig } from '../../../../server/index.js';
import { caGenerations, loadIndex } from '../../pki/support/pki-dir.js';

function resolveIn(dir: string, path: string): string {
  if (isAbsolute(path)) return path;
  const inDir = join(dir, path);
  return existsSync(inDir) ? inDir : path;
}

export function loadServerPki(
  dir: string,
): Pick<SessionConfig, 'oce' | 'cardIssuers' | 'revokedCardSerials'> {
  const index = loadIndex(dir);
  const klcc = caGenerations(index, 'klcc');
  const revokedOce = new Set(caGenerations(index, 'kloc').flatMap((g) => g.revoked.map((r) => r.serial)));
  const oce = new Map<string, { generation: number; credential: OceCredential }>();
  for (const rec of index.issued) {
    if (rec.role !== 'oce' || revokedOce.has(rec.serial)) continue;
    const keyPair = importPrivateKey(readFileSync(resolveIn(dir, rec.key), 'utf8'));
    const certificate = new Uint8Array(readFileSync(resolveIn(dir, rec.certificate)));
    const generation = rec.issuerGeneration ?? 1;
    // later records win per (curve, CA-KLOC generation)
    oce.set(`${keyPair.curve.name}/${generation}`, {
      generation,
      credential: { keyPair, certificates: [certificate] },
    });
  }
  if (oce.size === 0) {
    throw new Error(
      `${dir}: no unrevoked OCE certificate; run \`ltku pki issue --dir ${dir} --role oce ...\``,
    );
  }
  return {
    oce: [...oce.values()].sort((a, b) => b.generation - a.generation).map((o) => o.credential),
    cardIssuers: klcc.map((g) =>
      anchorFromCertificate(decodeCertificate(new Uint8Array(readFileSync(join(dir, g.gpCertificate))))),
    ),
    revokedCardSerials: klcc.flatMap((g) => g.revoked.map((r) => fromHex(r.serial, 'serial'))),
  };
}

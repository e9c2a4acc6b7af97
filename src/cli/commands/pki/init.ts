// `ltku pki init`: creates the two SCP11 CAs (DESIGN.md 4.2): the card issuer CA-KLCC, which signs
// CERT.SD.ECKA, and CA-KLOC, which signs CERT.OCE.ECKA; each as key, GP and X.509 certificate, and empty CRL.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CURVES, cryptoRandom, curveByName } from '../../../crypto/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalChoice, optionalInt, requireString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { createCaGeneration } from './support/ca-generation.js';
import { CA_IDS, DAY_MS, INDEX_FILE, saveIndex, type PkiIndex } from './support/pki-dir.js';

const CURVE_NAMES = CURVES.map((c) => c.name);
const DEFAULT_CA_DAYS = 3650;

export const command: Command = {
  summary: 'create the two SCP11 CAs (CA-KLCC for cards, CA-KLOC for servers) in a PKI directory',
  usage: [
    'ltku pki init --dir DIR [--curve P-256|P-384|P-521|brainpoolP256r1|brainpoolP384r1|brainpoolP512r1]',
    '              [--days N]   (CA validity, default 3650) [--json]',
    '  writes DIR/ca-klcc.{key,crt,der,crl}, DIR/ca-kloc.{key,crt,der,crl} and DIR/pki.json',
    '  (.key PKCS#8 PEM mode 0600, .crt GP 7F21, .der X.509, .crl RFC 5280 CRL)',
  ].join('\n'),
  options: {
    dir: { type: 'string' },
    curve: { type: 'string' },
    days: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const dir = requireString(ctx.values, 'dir');
    const curve = curveByName(optionalChoice(ctx.values, 'curve', CURVE_NAMES) ?? 'P-256');
    const days = optionalInt(ctx.values, 'days', undefined, [1, 36500]) ?? DEFAULT_CA_DAYS;
    if (existsSync(join(dir, INDEX_FILE))) {
      throw new UsageError(
        `--dir: ${join(dir, INDEX_FILE)} already exists; a PKI is never re-initialised in place`,
      );
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const rng = cryptoRandom;
    const now = new Date();
    now.setUTCMilliseconds(0);
    const notAfter = new Date(now.getTime() + days * DAY_MS);
    const index: PkiIndex = {
      version: 1,
      curve: curve.name,
      nextSerial: 1,
      cas: {} as PkiIndex['cas'],
      issued: [],
    };
    for (const ca of CA_IDS) {
      index.cas[ca] = createCaGeneration(dir, index, ca, 1, { curve, notBefore: now, notAfter, rng });
    }
    saveIndex(dir, index);
    if (ctx.values.json === true) {
      printJson(ctx.stdout, { dir, curve: curve.name, cas: index.cas });
    } else {
      ctx.stdout.write(`created PKI in ${dir} (${curve.name})\n`);
      printTable(
        ctx.stdout,
        CA_IDS.flatMap((ca) => [
          [index.cas[ca].name, `key id ${index.cas[ca].keyId}, serial ${index.cas[ca].serial}`] as const,
          [
            '',
            `${index.cas[ca].key} (0600), ${index.cas[ca].gpCertificate} (GP), ${index.cas[ca].x509Certificate} (X.509), ${index.cas[ca].crl}`,
          ] as const,
        ]),
      );
    }
    return 0;
  },
};

// `ltku pki issue`: a leaf certificate for SCP11 key agreement (DESIGN.md 4.2): CERT.SD.ECKA for a card
// (signed by CA-KLCC, carrying the card's EID) or CERT.OCE.ECKA for a Provisioning Server (signed by CA-KLOC).
import { existsSync } from 'node:fs';
import { toHex } from '../../../bytes/index.js';
import { CURVES, cryptoRandom, curveByName, generateKeyPair } from '../../../crypto/index.js';
import {
  decodeCertificate,
  eidCheckDigitsValid,
  issueGpCertificate,
  issueX509Certificate,
  randomEid,
  type NameInput,
} from '../../../pki/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalChoice, optionalInt, optionalString, requireChoice, requireString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import {
  DAY_MS,
  ISSUER_OF,
  ORGANIZATION,
  ROLES,
  caGeneration,
  caGenerations,
  caNameOf,
  generationOf,
  loadCaKey,
  loadIndex,
  pkiCurve,
  saveIndex,
  takeSerial,
  writeNewFile,
  writePrivateKey,
} from './support/pki-dir.js';

const DEFAULT_LEAF_DAYS = 365;
const MAX_DAYS = 36500;
const SUBJECT_NAMES = { sd: 'CERT.SD.ECKA', oce: 'CERT.OCE.ECKA' } as const;

export const command: Command = {
  summary: 'issue a CERT.SD.ECKA (card) or CERT.OCE.ECKA (server) certificate and its key',
  usage: [
    'ltku pki issue --dir DIR --role sd|oce --format gp|x509 --out PREFIX',
    '               [--curve C] [--days N] [--eid 32DIGITS] [--ca-generation N] [--json]',
    '  writes PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.crt (gp: 7F21 bytes, x509: DER)',
    '  sd certificates carry the card EID (random with valid check digits if --eid is not given)',
    `  --days: validity from now, a whole number 1..${MAX_DAYS} (default ${DEFAULT_LEAF_DAYS}); x509 notAfter is exact,`,
    '  gp 5F24 is a UTC day (valid through its end)',
    '  --ca-generation: the CA generation that signs (after `ltku pki rotate`; default the current, newest)',
  ].join('\n'),
  options: {
    dir: { type: 'string' },
    role: { type: 'string' },
    format: { type: 'string' },
    curve: { type: 'string' },
    days: { type: 'string' },
    eid: { type: 'string' },
    'ca-generation': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const dir = requireString(ctx.values, 'dir');
    const role = requireChoice(ctx.values, 'role', ROLES);
    const format = requireChoice(ctx.values, 'format', ['gp', 'x509'] as const);
    const out = requireString(ctx.values, 'out');
    const curveName = optionalChoice(
      ctx.values,
      'curve',
      CURVES.map((c) => c.name),
    );
    const days = optionalInt(ctx.values, 'days', undefined, [1, MAX_DAYS]) ?? DEFAULT_LEAF_DAYS;
    let eid = optionalString(ctx.values, 'eid');
    if (eid !== undefined && role !== 'sd')
      throw new UsageError('--eid: only sd (card) certificates carry an EID');
    if (eid !== undefined && !/^[0-9]{32}$/.test(eid))
      throw new UsageError('--eid: must be 32 decimal digits');
    const warnings: string[] = [];
    if (eid !== undefined && !eidCheckDigitsValid(eid)) {
      warnings.push(`--eid: check digits of ${eid} are not valid (SGP.29: the EID mod 97 must be 1)`);
    }
    for (const path of [`${out}.key`, `${out}.crt`]) {
      if (existsSync(path)) throw new UsageError(`--out: ${path} already exists; not overwriting it`);
    }
    const index = loadIndex(dir);
    const ca = ISSUER_OF[role];
    const generation = optionalInt(ctx.values, 'ca-generation', undefined, [1, 65535]);
    const caRecord = generation === undefined ? index.cas[ca] : caGeneration(index, ca, generation);
    if (caRecord === undefined) {
      throw new UsageError(
        `--ca-generation: ${index.cas[ca].name} has generations ${caGenerations(index, ca).map(generationOf).join(', ')}`,
      );
    }
    const caKey = loadCaKey(dir, index, ca, caRecord);
    const curve = curveName !== undefined ? curveByName(curveName) : pkiCurve(index);
    const rng = cryptoRandom;
    const now = new Date();
    now.setUTCMilliseconds(0);
    const notAfter = new Date(now.getTime() + days * DAY_MS);
    if (role === 'sd' && eid === undefined) eid = randomEid(rng);
    const keyPair = generateKeyPair(curve, rng);
    const serial = takeSerial(index);
    const subjectName: NameInput = {
      organization: ORGANIZATION,
      commonName: SUBJECT_NAMES[role],
      serialNumber: eid,
    };
    const params = {
      issuer: caKey,
      serial,
      eid,
      keyUsage: 'keyAgreement' as const,
      notBefore: now,
      notAfter,
      subjectPublicKey: keyPair.publicKey,
      curve,
    };
    const certificate =
      format === 'gp'
        ? issueGpCertificate(params)
        : issueX509Certificate({ ...params, subjectName, issuerName: caNameOf(caRecord) });
    // GPC Amd F Table 6-12: 5F24 holds the day, so the certificate is valid through the end of that UTC day
    const validUntil = format === 'gp' ? decodeCertificate(certificate).notAfter : notAfter;
    const keyPath = `${out}.key`;
    const certPath = `${out}.crt`;
    writePrivateKey(keyPath, keyPair);
    writeNewFile(certPath, certificate);
    index.issued.push({
      serial: toHex(serial),
      role,
      format,
      issuer: ca,
      subject: SUBJECT_NAMES[role],
      eid,
      certificate: certPath,
      key: keyPath,
      curve: curve.name,
      notAfter: validUntil.toISOString(),
      ...(generationOf(caRecord) === 1 ? {} : { issuerGeneration: generationOf(caRecord) }),
    });
    saveIndex(dir, index);
    for (const w of warnings) ctx.stderr.write(`warning: ${w}\n`);
    const summary = {
      subject: SUBJECT_NAMES[role],
      serial: toHex(serial),
      eid,
      format,
      curve: curve.name,
      issuer: caRecord.name,
      issuerKeyId: caRecord.keyId,
      notAfter: validUntil.toISOString(),
      certificate: certPath,
      key: keyPath,
    };
    if (ctx.values.json === true) {
      printJson(ctx.stdout, summary);
    } else {
      printTable(
        ctx.stdout,
        Object.entries(summary)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, k === 'key' ? `${v} (PKCS#8 PEM, mode 0600)` : String(v)] as const),
      );
    }
    return 0;
  },
};

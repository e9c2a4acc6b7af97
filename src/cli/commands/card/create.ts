// `ltku card create`: personalises a virtual card (DESIGN.md 4.1-4.5) as a card vendor would: EID, one SCP11a
// key set per curve with CERT.SD.ECKA issued by the PKI's CA-KLCC, trusted CA-KLOC keys, profiles with fresh
// K/OPc; optionally the personalisation output file the HSS imports (mode 0600).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../../bytes/index.js';
import { CURVES, cryptoRandom, curveByName } from '../../../crypto/index.js';
import { decodeCertificate, CertificateError, randomEid, eidCheckDigitsValid } from '../../../pki/index.js';
import { FileCardStore, personaliseCard, subscribersFile, type CardCaKey } from '../../../card/index.js';
import { BATCH_ID } from '../../../server/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalChoice, optionalInt, optionalString, requireString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import {
  caNameOf,
  DAY_MS,
  generationOf,
  loadCaKey,
  loadIndex,
  saveIndex,
  takeSerial,
} from '../pki/support/pki-dir.js';
import { readCertificateFile, writeSecretFile } from './support/files.js';

const DEFAULT_CARD_DAYS = 3650;

export const command: Command = {
  summary: 'personalise a virtual UICC/eUICC image (profiles, keys, SCP11 certificates)',
  usage: [
    'ltku card create --pki DIR --out CARD [--profiles N] [--alg milenage|tuak] [--imsi-prefix MCCMNC]',
    '                 [--curves P-256,brainpoolP256r1,...] [--sd-cert-format gp|x509] [--trust-oce-ca FILE ...]',
    '                 [--data-objects gp|bare] [--min-aes 16|24|32] [--eid 32DIGITS] [--days N] [--scp11 a,b,c]',
    '                 [--oce-allowlist SERIAL[,SERIAL...]] [--subscribers-out FILE [--batch ID]] [--json]',
    '  CARD (mode 0600) holds the card secrets; --subscribers-out writes the personalisation output file',
    '  (EID, per profile IMSI, ICCID, algorithm, K, OPc/TOPc; mode 0600) that `ltku hss import` reads.',
    "  --batch: the card's manufacturing batch (1 to 64 letters, digits, '.', '_', '-'), written into the",
    '          --subscribers-out file; the server inventory reads it and `ltku campaign create --batch` selects by it',
    '  The PKI CA-KLOC is always trusted (KVN 1); each --trust-oce-ca (PEM/DER X.509 or GP) adds KVN 2, 3, ...',
    '  One key set per curve (KVN 1, 2, ...) and --scp11 variant (KID 11 a, 13 b, 15 c; default a).',
    '  --oce-allowlist (hex serials): set on every trusted CA-KLOC key (KID 10, as yubikit store_allowlist does);',
    '                 list the serial of EVERY certificate of the OCE chain, intermediates and leaf (6982 at PSO else).',
  ].join('\n'),
  options: {
    pki: { type: 'string' },
    out: { type: 'string' },
    profiles: { type: 'string' },
    alg: { type: 'string' },
    'imsi-prefix': { type: 'string' },
    curves: { type: 'string' },
    'sd-cert-format': { type: 'string' },
    'trust-oce-ca': { type: 'string', multiple: true },
    'data-objects': { type: 'string' },
    'min-aes': { type: 'string' },
    eid: { type: 'string' },
    days: { type: 'string' },
    'subscribers-out': { type: 'string' },
    scp11: { type: 'string' },
    'oce-allowlist': { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const v = ctx.values;
    const dir = requireString(v, 'pki');
    const out = requireString(v, 'out');
    const profiles = optionalInt(v, 'profiles', undefined, [1, 255]) ?? 1;
    const algorithm = optionalChoice(v, 'alg', ['milenage', 'tuak'] as const) ?? 'milenage';
    const imsiPrefix = optionalString(v, 'imsi-prefix') ?? '00101';
    if (!/^[0-9]{5,6}$/.test(imsiPrefix)) throw new UsageError('--imsi-prefix: MCC and MNC, 5 or 6 digits');
    const format = optionalChoice(v, 'sd-cert-format', ['gp', 'x509'] as const) ?? 'gp';
    const dataObjects = optionalChoice(v, 'data-objects', ['gp', 'bare'] as const) ?? 'gp';
    const minAes = (optionalInt(v, 'min-aes', [16, 24, 32]) ?? 16) as 16 | 24 | 32;
    const days = optionalInt(v, 'days', undefined, [1, 36500]) ?? DEFAULT_CARD_DAYS;
    const subscribersOut = optionalString(v, 'subscribers-out');
    // Issue 11 / DESIGN.md 8: the batch id follows the server inventory's rule (BATCH_ID).
    const batch = optionalString(v, 'batch');
    if (batch !== undefined && !BATCH_ID.test(batch))
      throw new UsageError(
        "--batch: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    if (batch !== undefined && subscribersOut === undefined)
      throw new UsageError('--batch goes with --subscribers-out (the batch is written into that file)');
    const eidOption = optionalString(v, 'eid');
    if (eidOption !== undefined && !eidCheckDigitsValid(eidOption)) {
      throw new UsageError('--eid: 32 digits with valid check digits (SGP.29: EID mod 97 = 1)');
    }
    for (const [option, path] of [
      ['out', out],
      ['subscribers-out', subscribersOut],
    ] as const) {
      if (path !== undefined && existsSync(path))
        throw new UsageError(`--${option}: ${path} already exists; not overwriting it`);
    }
    const index = loadIndex(dir);
    const curveNames = (optionalString(v, 'curves') ?? index.curve).split(',').map((s) => s.trim());
    const curves = curveNames.map((n) => {
      if (!CURVES.some((c) => c.name === n))
        throw new UsageError(`--curves: ${n} is not one of ${CURVES.map((c) => c.name).join(', ')}`);
      return curveByName(n);
    });
    if (new Set(curveNames).size !== curveNames.length)
      throw new UsageError('--curves: a curve is listed twice');

    const trusted: Omit<CardCaKey, 'kvn'>[] = [];
    const klocCert = readCertificateFile(join(dir, index.cas.kloc.x509Certificate), 'pki');
    const extra = ((v['trust-oce-ca'] as string[] | undefined) ?? []).flatMap((p) =>
      readCertificateFile(p, 'trust-oce-ca').map((bytes) => ({ bytes, path: p })),
    );
    for (const { bytes, path } of [{ bytes: klocCert[0], path: 'CA-KLOC' }, ...extra]) {
      try {
        const cert = decodeCertificate(bytes);
        trusted.push({ curve: cert.curve, publicKey: cert.publicKey, name: cert.subject || path });
      } catch (e) {
        if (e instanceof CertificateError) throw new UsageError(`--trust-oce-ca: ${path}: ${e.message}`);
        throw e;
      }
    }

    const variants = (optionalString(v, 'scp11') ?? 'a').split(',').map((x) => x.trim());
    for (const x of variants) {
      if (x !== 'a' && x !== 'b' && x !== 'c') throw new UsageError(`--scp11: ${x} is not a, b or c`);
    }
    if (new Set(variants).size !== variants.length)
      throw new UsageError('--scp11: a variant is listed twice');
    const oceAllowlist = parseSerials(optionalString(v, 'oce-allowlist'));
    const rng = cryptoRandom;
    const now = new Date();
    now.setUTCMilliseconds(0);
    const eid = eidOption ?? randomEid(rng);
    const issued: Uint8Array[] = [];
    const image = personaliseCard({
      eid,
      profiles,
      algorithm,
      imsiPrefix,
      curves,
      variants: variants as ('a' | 'b' | 'c')[],
      sdCertificateFormat: format,
      issuer: {
        // The current CA-KLCC generation signs, under its own name (issue 13: `pki rotate --ca klcc`).
        keyPair: loadCaKey(dir, index, 'klcc'),
        name: caNameOf(index.cas.klcc),
        nextSerial: () => {
          const serial = takeSerial(index);
          issued.push(serial);
          return serial;
        },
      },
      trustedOceCas: trusted,
      ...(oceAllowlist === undefined ? {} : { caKlocOceAllowlist: oceAllowlist }),
      dataObjects,
      minAesKeyLength: minAes,
      notBefore: now,
      notAfter: new Date(now.getTime() + days * DAY_MS),
      rng,
    });
    new FileCardStore(out).save(image);
    if (subscribersOut !== undefined) {
      writeSecretFile(
        subscribersOut,
        JSON.stringify({ ...subscribersFile(image), ...(batch === undefined ? {} : { batch }) }, null, 2) +
          '\n',
        'subscribers-out',
      );
    }
    image.keySets.forEach((k, i) =>
      index.issued.push({
        serial: toHex(issued[i]),
        role: 'sd',
        format,
        issuer: 'klcc',
        subject: 'CERT.SD.ECKA',
        eid,
        certificate: `${out}#keySets.${i}`,
        key: out,
        curve: k.keyPair.curve.name,
        notAfter: new Date(now.getTime() + days * DAY_MS).toISOString(),
        ...(generationOf(index.cas.klcc) === 1 ? {} : { issuerGeneration: generationOf(index.cas.klcc) }),
      }),
    );
    saveIndex(dir, index);

    const summary = {
      card: out,
      eid,
      keySets: image.keySets.map((k) => ({
        kid: k.kid,
        kvn: k.kvn,
        curve: k.keyPair.curve.name,
        ...(k.oceAllowlist === undefined ? {} : { oceAllowlist: k.oceAllowlist.map(toHex) }),
      })),
      trustedOceCas: image.caKloc.map((c) => ({
        kvn: c.kvn,
        curve: c.curve.name,
        name: c.name,
        ...(c.oceAllowlist === undefined ? {} : { oceAllowlist: c.oceAllowlist.map(toHex) }),
      })),
      profiles: image.profiles.map((p) => ({ iccid: p.iccid, imsi: p.imsi, algorithm: p.keys.algorithm })),
      ...(subscribersOut === undefined ? {} : { subscribersOut }),
      ...(batch === undefined ? {} : { batch }),
    };
    if (v.json === true) {
      printJson(ctx.stdout, summary);
    } else {
      ctx.stdout.write(
        `created card ${out} (EID ${eid}, mode 0600; holds clear K/OPc and the card's private keys)\n`,
      );
      printTable(ctx.stdout, [
        ...summary.keySets.map(
          (k) =>
            [
              `SCP11 key set`,
              `KID ${k.kid.toString(16)} KVN ${k.kvn} ${k.curve}` +
                (k.oceAllowlist === undefined ? '' : ` OCE allowlist ${k.oceAllowlist.join(',')}`),
            ] as const,
        ),
        ...summary.trustedOceCas.map(
          (c) =>
            [
              `trusted CA-KLOC`,
              `KVN ${c.kvn} ${c.curve} ${c.name ?? ''}` +
                (c.oceAllowlist === undefined ? '' : ` OCE allowlist ${c.oceAllowlist.join(',')}`),
            ] as const,
        ),
        ...summary.profiles.map(
          (p) => [`profile`, `ICCID ${p.iccid} IMSI ${p.imsi} ${p.algorithm}`] as const,
        ),
        ...(subscribersOut === undefined
          ? []
          : [['subscribers', `${subscribersOut} (mode 0600, holds clear K/OPc)`] as const]),
        ...(batch === undefined ? [] : [['batch', batch] as const]),
      ]);
      ctx.stdout.write('keep these files out of version control and out of unencrypted backups\n');
    }
    return 0;
  },
};

/** `--oce-allowlist`: hex certificate serials (1..20 bytes each), comma separated. */
function parseSerials(text: string | undefined): Uint8Array[] | undefined {
  if (text === undefined) return undefined;
  const serials = text.split(',').map((x) => x.trim().replace(/^0x/i, ''));
  return serials.map((x) => {
    const even = x.length % 2 === 0 ? x : `0${x}`;
    if (!/^[0-9a-fA-F]{2,40}$/.test(even))
      throw new UsageError(`--oce-allowlist: ${x || '(empty)'} is not a hex serial of 1..20 bytes`);
    return fromHex(even);
  });
}

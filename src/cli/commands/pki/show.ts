// `ltku pki show`: any certificate (GP 7F21 or X.509 DER/PEM, one or a BF21 chain) or a CRL, decoded readably.
// Private keys are refused: this command never prints key material.
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../../../bytes/index.js';
import {
  CertificateError,
  KEY_USAGE_KEY_AGREEMENT,
  KEY_USAGE_SIGNATURE_VERIFICATION,
  decodeCertificates,
  decodeCrl,
  formatName,
  type Certificate,
  type SignedCrl,
} from '../../../pki/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { CA_IDS, caGenerations, generationOf, loadIndex } from './support/pki-dir.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The bytes of the file: binary, PEM (CERTIFICATE / X509 CRL blocks concatenated) or hex text. */
function readInput(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (/PRIVATE KEY-----/.test(text)) {
    throw new UsageError(`${path} holds a private key; ltku pki show prints certificates only`);
  }
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length > 0) {
    const parts = blocks.map((m) => new Uint8Array(Buffer.from(m[2].replace(/\s+/g, ''), 'base64')));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  const trimmed = text.trim();
  if (trimmed.length > 0 && /^[0-9a-fA-F\s:]+$/.test(trimmed)) return fromHex(trimmed, path);
  return bytes;
}

const day = (d: Date | undefined): string => (d === undefined ? '-' : d.toISOString().replace('.000Z', 'Z'));

function certificateView(c: Certificate) {
  return {
    format: c.format,
    subject: c.subject,
    issuer: c.x509 ? formatName(c.x509.issuer) : undefined,
    serial: toHex(c.serial),
    eid: c.eid,
    issuerKeyId: c.issuerKeyId ? toHex(c.issuerKeyId) : undefined,
    subjectKeyId: toHex(c.subjectKeyId),
    keyUsage: c.keyUsage,
    keyUsageCode: (c.keyUsage === 'keyAgreement' ? KEY_USAGE_KEY_AGREEMENT : KEY_USAGE_SIGNATURE_VERIFICATION)
      .toString(16)
      .padStart(4, '0'),
    ca: c.x509 ? c.x509.isCa : undefined,
    policies: c.x509 && c.x509.policies.length > 0 ? c.x509.policies : undefined,
    notBefore: c.notBefore?.toISOString(),
    notAfter: c.notAfter.toISOString(),
    curve: c.curve.name,
    curveId: c.curve.gpId.toString(16).padStart(2, '0'),
    publicKey: toHex(c.publicKey),
    signatureAlgorithm: `ecdsa-with-${c.signatureHash.toUpperCase()}`,
    signature: toHex(c.signature),
  };
}

function crlView(crl: SignedCrl) {
  return {
    format: 'crl',
    issuer: crl.issuer,
    issuerKeyId: crl.issuerKeyId ? toHex(crl.issuerKeyId) : undefined,
    number: crl.number,
    thisUpdate: crl.thisUpdate.toISOString(),
    nextUpdate: crl.nextUpdate?.toISOString(),
    revoked: crl.entries.map((e) => ({ serial: toHex(e.serial), date: e.revocationDate.toISOString() })),
  };
}

function printCertificate(out: NodeJS.WritableStream, c: Certificate, n: number, of: number): void {
  const v = certificateView(c);
  out.write(`certificate ${n} of ${of} (${c.format === 'gp' ? 'GP 7F21' : 'X.509'})\n`);
  const rows: [string, string | undefined][] = [
    ['subject', v.subject],
    ['issuer', v.issuer],
    ['serial', v.serial],
    ['EID', v.eid],
    ['issuer key id', v.issuerKeyId],
    ['subject key id', `${v.subjectKeyId} (SHA-1 of the public point)`],
    ['key usage', `${v.keyUsage} (${v.keyUsageCode})${v.ca ? ', CA' : ''}`],
    ['policies', v.policies?.join(', ')],
    ['valid', `${day(c.notBefore)} .. ${day(c.notAfter)}`],
    ['curve', `${v.curve} (GP curve id ${v.curveId})`],
    ['public key', v.publicKey],
    ['signature', `${v.signatureAlgorithm}, ${c.signature.length} bytes`],
  ];
  printTable(
    out,
    rows.filter((r): r is [string, string] => r[1] !== undefined).map(([k, val]) => [`  ${k}`, val]),
  );
}

// Issue 13: every generation of both CAs in a PKI directory (`ltku pki rotate`), oldest first.
function showDirectory(out: NodeJS.WritableStream, dir: string, json: boolean): number {
  const index = loadIndex(dir);
  const cas = CA_IDS.map((ca) => ({
    ca,
    generations: caGenerations(index, ca).map((r) => ({
      generation: generationOf(r),
      name: r.name,
      keyId: r.keyId,
      serial: r.serial,
      notAfter: r.notAfter,
      current: r === index.cas[ca],
      revoked: r.revoked.length,
      issued: index.issued.filter((i) => i.issuer === ca && (i.issuerGeneration ?? 1) === generationOf(r))
        .length,
    })),
  }));
  if (json) {
    printJson(out, { dir, curve: index.curve, cas });
    return 0;
  }
  out.write(`PKI ${dir} (${index.curve})\n`);
  printTable(
    out,
    cas.flatMap(({ generations }) =>
      generations.map(
        (g) =>
          [
            `  ${g.name}${g.current ? ' (current)' : ''}`,
            `generation ${g.generation}, key id ${g.keyId}, serial ${g.serial}, until ${g.notAfter}, ${g.issued} issued, ${g.revoked} revoked`,
          ] as const,
      ),
    ),
  );
  return 0;
}

export const command: Command = {
  summary: 'show a certificate (GP 7F21 or X.509, one or a chain) or a CRL, decoded; or the CAs of a PKI',
  usage: [
    'ltku pki show FILE [--json]\n  FILE: binary, PEM or hex; never a private key',
    'ltku pki show --dir DIR [--json]\n  every generation of CA-KLCC and CA-KLOC (`ltku pki rotate`), oldest first',
  ].join('\n'),
  options: { json: { type: 'boolean' }, dir: { type: 'string' } },
  allowPositionals: true,
  async run(ctx) {
    const dir = optionalString(ctx.values, 'dir');
    if (dir !== undefined) {
      if (ctx.positionals.length !== 0) throw new UsageError('give FILE or --dir, not both');
      return showDirectory(ctx.stdout, dir, ctx.values.json === true);
    }
    if (ctx.positionals.length !== 1) throw new UsageError('give exactly one FILE');
    const path = ctx.positionals[0];
    const bytes = readInput(path);
    let certificates: Certificate[] | undefined;
    let crl: SignedCrl | undefined;
    try {
      certificates = decodeCertificates(bytes);
    } catch (e) {
      if (!(e instanceof CertificateError)) throw e;
      try {
        crl = decodeCrl(bytes);
      } catch {
        throw new CertificateError('malformed', `${path}: ${e.message}`);
      }
    }
    if (ctx.values.json === true) {
      printJson(ctx.stdout, crl ? crlView(crl) : { certificates: certificates!.map(certificateView) });
      return 0;
    }
    if (crl) {
      const v = crlView(crl);
      ctx.stdout.write('certificate revocation list (RFC 5280)\n');
      printTable(ctx.stdout, [
        ['  issuer', v.issuer],
        ['  issuer key id', v.issuerKeyId ?? '-'],
        ['  number', String(v.number)],
        ['  this update', v.thisUpdate],
        ['  next update', v.nextUpdate ?? '-'],
        [
          '  revoked',
          v.revoked.length === 0 ? 'none' : v.revoked.map((r) => `${r.serial} (${r.date})`).join(', '),
        ],
      ]);
      return 0;
    }
    certificates!.forEach((c, i) => printCertificate(ctx.stdout, c, i + 1, certificates!.length));
    return 0;
  },
};

// Issue 13: `ltku pki rotate` makes a new CA-KLOC generation; the old stays; OCE certificates chain to the
// generation chosen (newest by default); `pki show --dir` lists generations; revocation hits the right CRL.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { runCli } from '../helpers/cli.js';
import { decodeCertificate, decodeCrl, trustAnchor, validateChain } from '../../src/pki/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { loadServerPki } from '../../src/cli/commands/server/support/server-pki.js';
import { runPki } from './run-pki.js';

const oceArgs = (dir: string, out: string, ...more: string[]) => [
  'issue',
  '--dir',
  dir,
  '--role',
  'oce',
  '--format',
  'gp',
  '--out',
  join(dir, out),
  ...more,
];

function caCertificate(dir: string, file: string) {
  return decodeCertificate(readFileSync(join(dir, file)));
}

function chainsTo(dir: string, leafFile: string, caFile: string): boolean {
  const ca = caCertificate(dir, caFile);
  try {
    validateChain([decodeCertificate(readFileSync(join(dir, leafFile)))], {
      anchors: [trustAnchor(ca.curve, ca.publicKey)],
      clock: new FixedClock(new Date()),
      leafUsage: 'keyAgreement',
    });
    return true;
  } catch {
    return false;
  }
}

describe('ltku pki rotate (issue 13)', () => {
  let dir: string;
  let oldKeyId: string;
  let newKeyId: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltku-pki-rotate-'));
    assert.equal((await runPki(['init', '--dir', dir])).code, 0);
    const r = await runPki(oceArgs(dir, 'oce-g1'));
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates generation 2 of CA-KLOC with its own key id; generation 1 stays, files untouched', async () => {
    const before = JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8'));
    oldKeyId = before.cas.kloc.keyId;
    const oldKey = readFileSync(join(dir, 'ca-kloc.key'), 'utf8');
    const r = await runPki(['rotate', '--dir', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
    const out = JSON.parse(r.stdout);
    assert.equal(out.generation, 2);
    assert.equal(out.crossSigned, false);
    const index = JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8'));
    newKeyId = index.cas.kloc.keyId;
    assert.notEqual(newKeyId, oldKeyId);
    assert.equal(index.cas.kloc.generation, 2);
    assert.equal(index.previous.kloc.length, 1);
    assert.equal(index.previous.kloc[0].keyId, oldKeyId);
    assert.deepEqual(index.cas.klcc, before.cas.klcc, 'CA-KLCC untouched');
    assert.equal(readFileSync(join(dir, 'ca-kloc.key'), 'utf8'), oldKey, 'old key kept');
    for (const ext of ['key', 'crt', 'der', 'crl']) assert.ok(existsSync(join(dir, `ca-kloc-g2.${ext}`)));
    assert.equal(toHex(caCertificate(dir, 'ca-kloc-g2.crt').subjectKeyId), newKeyId);
    assert.equal(toHex(caCertificate(dir, 'ca-kloc-g2.der').subjectKeyId), newKeyId);
    assert.equal(decodeCrl(readFileSync(join(dir, 'ca-kloc-g2.crl'))).serials.length, 0);
  });

  it('issue --role oce signs with the newest generation; --ca-generation 1 with the old one', async () => {
    const g2 = await runPki(oceArgs(dir, 'oce-g2', '--json'));
    assert.equal(g2.code, 0, g2.stderr);
    assert.equal(JSON.parse(g2.stdout).issuerKeyId, newKeyId);
    assert.equal(toHex(decodeCertificate(readFileSync(join(dir, 'oce-g2.crt'))).issuerKeyId!), newKeyId);
    assert.ok(chainsTo(dir, 'oce-g2.crt', 'ca-kloc-g2.crt'));
    assert.ok(!chainsTo(dir, 'oce-g2.crt', 'ca-kloc.crt'), 'not accepted under the old CA-KLOC');
    assert.ok(chainsTo(dir, 'oce-g1.crt', 'ca-kloc.crt'));
    assert.ok(!chainsTo(dir, 'oce-g1.crt', 'ca-kloc-g2.crt'), 'no cross-signing: old OCE not under new');

    const x509 = await runPki(oceArgs(dir, 'oce-g2x').map((a) => (a === 'gp' ? 'x509' : a)));
    assert.equal(x509.code, 0, x509.stderr);
    assert.ok(chainsTo(dir, 'oce-g2x.crt', 'ca-kloc-g2.der'));

    const g1 = await runPki(oceArgs(dir, 'oce-g1b', '--ca-generation', '1'));
    assert.equal(g1.code, 0, g1.stderr);
    assert.equal(toHex(decodeCertificate(readFileSync(join(dir, 'oce-g1b.crt'))).issuerKeyId!), oldKeyId);
    const bad = await runPki(oceArgs(dir, 'oce-g3', '--ca-generation', '3'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /generations 1, 2/);
  });

  it('show --dir lists every generation, the current one marked', async () => {
    const r = await runPki(['show', '--dir', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { cas } = JSON.parse(r.stdout);
    const kloc = cas.find((c: { ca: string }) => c.ca === 'kloc').generations;
    assert.deepEqual(
      kloc.map((g: { generation: number; keyId: string; current: boolean; issued: number }) => [
        g.generation,
        g.keyId,
        g.current,
        g.issued,
      ]),
      [
        [1, oldKeyId, false, 2],
        [2, newKeyId, true, 2],
      ],
    );
    const text = await runPki(['show', '--dir', dir]);
    assert.match(text.stdout, /CA-KLOC generation 2 \(current\)/);
  });

  it('the server loads both generations, newest first; revoking a generation-1 OCE updates its CRL only', async () => {
    const trust = loadServerPki(dir);
    assert.deepEqual(
      trust.oce.map((o) => toHex(decodeCertificate(o.certificates[0]).issuerKeyId!)),
      [newKeyId, oldKeyId],
    );
    const serial = toHex(decodeCertificate(readFileSync(join(dir, 'oce-g1b.crt'))).serial);
    const r = await runPki(['revoke', '--dir', dir, '--serial', serial, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).ca, 'CA-KLOC');
    assert.deepEqual(
      decodeCrl(readFileSync(join(dir, 'ca-kloc.crl'))).serials.map((s) => toHex(s)),
      [serial],
    );
    assert.equal(decodeCrl(readFileSync(join(dir, 'ca-kloc-g2.crl'))).serials.length, 0);
    // generation 1 falls back to the earlier unrevoked oce-g1
    const after = loadServerPki(dir);
    const g1 = after.oce.find((o) => toHex(decodeCertificate(o.certificates[0]).issuerKeyId!) === oldKeyId)!;
    assert.equal(
      toHex(decodeCertificate(g1.certificates[0]).serial),
      toHex(decodeCertificate(readFileSync(join(dir, 'oce-g1.crt'))).serial),
    );
    const self = await runPki([
      'revoke',
      '--dir',
      dir,
      '--serial',
      JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8')).previous.kloc[0].serial,
    ]);
    assert.equal(self.code, 2);
    assert.match(self.stderr, /itself/);
  });
});

describe('ltku card create after a CA-KLCC rotation (issue 13)', () => {
  it('signs CERT.SD.ECKA with the new generation under its own name, records the generation, and the server trusts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ltku-pki-rotate-klcc-'));
    try {
      assert.equal((await runPki(['init', '--dir', dir])).code, 0);
      assert.equal((await runPki(oceArgs(dir, 'oce'))).code, 0);
      const rotated = await runPki(['rotate', '--dir', dir, '--ca', 'klcc', '--json']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const index = JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8'));
      const card = join(dir, 'card.json');
      const created = await runCli([
        'card',
        'create',
        '--pki',
        dir,
        '--out',
        card,
        '--profiles',
        '1',
        '--sd-cert-format',
        'x509',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const image = JSON.parse(readFileSync(card, 'utf8'));
      const der = fromHex(image.keySets[0].certificates.at(-1));
      const sd = decodeCertificate(der);
      assert.equal(toHex(sd.issuerKeyId!), index.cas.klcc.keyId, 'signed by generation 2');
      assert.match(new X509Certificate(der).issuer, /CN=CA-KLCC \(card issuer\) generation 2/);
      const after = JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8'));
      assert.equal(after.issued.at(-1).issuerGeneration, 2);
      const trust = loadServerPki(dir);
      validateChain([sd], {
        anchors: trust.cardIssuers,
        clock: new FixedClock(new Date()),
        leafUsage: 'keyAgreement',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

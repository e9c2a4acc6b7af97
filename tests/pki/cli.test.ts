// `ltku pki init|issue|show|revoke` against a temporary directory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromHex, tlv, toHex } from '../../src/bytes/index.js';
import { curveByName, importPrivateKey } from '../../src/crypto/index.js';
import {
  decodeCertificate,
  decodeCrl,
  eidCheckDigitsValid,
  trustAnchor,
  validateChain,
  verifiedCrlSerials,
} from '../../src/pki/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { runPki } from './run-pki.js';

const EID = '89049032331351239527778732902160';

/** The private scalars in `dir`'s key files, as hex: none may appear in any output. */
function secrets(paths: string[]): string[] {
  return paths.flatMap((p) => {
    const pem = readFileSync(p, 'utf8');
    const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    return [toHex(importPrivateKey(pem).privateKey), ...body];
  });
}

function assertNoSecrets(output: string, keyFiles: string[]): void {
  assert.doesNotMatch(output, /PRIVATE KEY/);
  for (const s of secrets(keyFiles))
    assert.ok(!output.toLowerCase().includes(s.toLowerCase()), 'key material in output');
}

describe('ltku pki (CLI)', () => {
  let dir: string;
  let outputs = '';
  const run = async (argv: string[]) => {
    const r = await runPki(argv);
    outputs += r.stdout + r.stderr;
    return r;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ltku-pki-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('init creates both CAs: keys 0600, GP and X.509 certificates, CRLs, pki.json', async () => {
    const r = await run(['init', '--dir', dir, '--curve', 'P-384', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.curve, 'P-384');
    for (const ca of ['klcc', 'kloc']) {
      assert.equal(statSync(join(dir, `ca-${ca}.key`)).mode & 0o777, 0o600);
      const key = importPrivateKey(readFileSync(join(dir, `ca-${ca}.key`), 'utf8'));
      assert.equal(key.curve.name, 'P-384');
      const gp = decodeCertificate(readFileSync(join(dir, `ca-${ca}.crt`)));
      const x509 = decodeCertificate(readFileSync(join(dir, `ca-${ca}.der`)));
      for (const c of [gp, x509]) {
        assert.equal(c.keyUsage, 'signature');
        assert.equal(toHex(c.publicKey), toHex(key.publicKey));
        assert.equal(toHex(c.subjectKeyId), summary.cas[ca].keyId);
      }
      assert.equal(decodeCrl(readFileSync(join(dir, `ca-${ca}.crl`))).serials.length, 0);
    }
    const again = await run(['init', '--dir', dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
  });

  it('issue sd/gp: a card certificate with the given EID that chains to CA-KLCC', async () => {
    const r = await run([
      'issue',
      '--dir',
      dir,
      '--role',
      'sd',
      '--format',
      'gp',
      '--eid',
      EID,
      '--out',
      join(dir, 'card1'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(dir, 'card1.key')).mode & 0o777, 0o600);
    const cert = decodeCertificate(readFileSync(join(dir, 'card1.crt')));
    assert.equal(cert.format, 'gp');
    assert.equal(cert.eid, EID);
    assert.equal(
      toHex(cert.publicKey),
      toHex(importPrivateKey(readFileSync(join(dir, 'card1.key'), 'utf8')).publicKey),
    );
    const klcc = decodeCertificate(readFileSync(join(dir, 'ca-klcc.crt')));
    const kloc = decodeCertificate(readFileSync(join(dir, 'ca-kloc.crt')));
    const clock = new FixedClock(new Date());
    const opts = { clock, leafUsage: 'keyAgreement' as const, expectedCurve: curveByName('P-384') };
    assert.equal(
      validateChain([cert], { ...opts, anchors: [trustAnchor(klcc.curve, klcc.publicKey)] }),
      cert,
    );
    assert.throws(
      () => validateChain([cert], { ...opts, anchors: [trustAnchor(kloc.curve, kloc.publicKey)] }),
      /not trusted/,
    );
  });

  it('issue oce/x509 and sd/x509 (random EID printed, valid check digits); openssl reads them', async () => {
    const oce = await run([
      'issue',
      '--dir',
      dir,
      '--role',
      'oce',
      '--format',
      'x509',
      '--curve',
      'brainpoolP256r1',
      '--days',
      '30',
      '--out',
      join(dir, 'server1'),
    ]);
    assert.equal(oce.code, 0, oce.stderr);
    const sd = await run([
      'issue',
      '--dir',
      dir,
      '--role',
      'sd',
      '--format',
      'x509',
      '--out',
      join(dir, 'card2'),
      '--json',
    ]);
    assert.equal(sd.code, 0, sd.stderr);
    const printed = JSON.parse(sd.stdout);
    assert.ok(eidCheckDigitsValid(printed.eid), printed.eid);
    const cert = decodeCertificate(readFileSync(join(dir, 'card2.crt')));
    assert.equal(cert.eid, printed.eid);
    const server = decodeCertificate(readFileSync(join(dir, 'server1.crt')));
    assert.equal(server.curve.name, 'brainpoolP256r1');
    assert.ok(server.notAfter.getTime() - server.notBefore!.getTime() === 30 * 86_400_000);
    const text = execFileSync(
      'openssl',
      ['x509', '-inform', 'DER', '-in', join(dir, 'server1.crt'), '-text', '-noout'],
      { encoding: 'utf8' },
    );
    assert.match(text, /Key Agreement/);
    assert.match(text, /Issuer: O ?= ?ltku, CN ?= ?CA-KLOC/);
    const refused = await run([
      'issue',
      '--dir',
      dir,
      '--role',
      'sd',
      '--format',
      'gp',
      '--out',
      join(dir, 'card2'),
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already exists/);
    const badEid = await run([
      'issue',
      '--dir',
      dir,
      '--role',
      'sd',
      '--format',
      'gp',
      '--eid',
      '1234',
      '--out',
      join(dir, 'x'),
    ]);
    assert.equal(badEid.code, 2);
    assert.match(badEid.stderr, /--eid/);
  });

  it('show: both formats, readable and --json, never a private key', async () => {
    const gp = await run(['show', join(dir, 'card1.crt')]);
    assert.equal(gp.code, 0, gp.stderr);
    assert.match(gp.stdout, /GP 7F21/);
    assert.match(gp.stdout, new RegExp(`EID +${EID}`));
    assert.match(gp.stdout, /keyAgreement \(0080\)/);
    const json = await run(['show', join(dir, 'ca-kloc.der'), '--json']);
    assert.equal(json.code, 0, json.stderr);
    const [ca] = JSON.parse(json.stdout).certificates;
    assert.equal(ca.format, 'x509');
    assert.equal(ca.keyUsage, 'signature');
    assert.equal(ca.keyUsageCode, '0082');
    assert.equal(ca.curve, 'P-384');
    const key = await run(['show', join(dir, 'card1.key')]);
    assert.notEqual(key.code, 0);
    assert.match(key.stderr, /private key/);
    // a PEM file and a hex file holding a BF21 chain (as GET DATA answers it) are read too
    const pem = `-----BEGIN CERTIFICATE-----\n${readFileSync(join(dir, 'card2.crt')).toString('base64')}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(dir, 'card2.pem'), pem);
    const fromPem = await run(['show', join(dir, 'card2.pem'), '--json']);
    assert.equal(fromPem.code, 0, fromPem.stderr);
    assert.equal(JSON.parse(fromPem.stdout).certificates[0].format, 'x509');
    const chain = tlv(0xbf21, readFileSync(join(dir, 'ca-klcc.crt')), readFileSync(join(dir, 'card1.crt')));
    writeFileSync(join(dir, 'chain.hex'), toHex(chain).toUpperCase() + '\n');
    const fromHexFile = await run(['show', join(dir, 'chain.hex')]);
    assert.equal(fromHexFile.code, 0, fromHexFile.stderr);
    assert.match(
      fromHexFile.stdout,
      /certificate 1 of 2 \(GP 7F21\)[\s\S]*CA key id[\s\S]*certificate 2 of 2/,
    );
    const garbage = await run(['show', join(dir, 'pki.json')]);
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /malformed|neither|certificate/);
  });

  it('revoke: the serial lands on the issuing CA CRL, signed by that CA', async () => {
    const index = JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8'));
    const server = index.issued.find((r: { role: string }) => r.role === 'oce');
    const r = await run(['revoke', '--dir', dir, '--serial', server.serial]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CA-KLOC/);
    const kloc = decodeCertificate(readFileSync(join(dir, 'ca-kloc.der')));
    const serials = verifiedCrlSerials(readFileSync(join(dir, 'ca-kloc.crl')), kloc);
    assert.deepEqual(serials.map(toHex), [server.serial]);
    assert.equal(decodeCrl(readFileSync(join(dir, 'ca-klcc.crl'))).serials.length, 0);
    const cert = decodeCertificate(readFileSync(join(dir, 'server1.crt')));
    assert.throws(
      () =>
        validateChain([cert], {
          anchors: [trustAnchor(kloc.curve, kloc.publicKey)],
          clock: new FixedClock(new Date()),
          leafUsage: 'keyAgreement',
          denyList: serials,
        }),
      /revoked/,
    );
    const again = await run(['revoke', '--dir', dir, '--serial', `00${server.serial}`]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already revoked/);
    const unknown = await run(['revoke', '--dir', dir, '--serial', 'abcdef']);
    assert.equal(unknown.code, 2);
    const show = await run(['show', join(dir, 'ca-kloc.crl'), '--json']);
    assert.deepEqual(
      JSON.parse(show.stdout).revoked.map((e: { serial: string }) => e.serial),
      [server.serial],
    );
    assert.equal(fromHex(server.serial).length > 0, true);
  });

  it('printed no key material in any command', () => {
    const keys = ['ca-klcc.key', 'ca-kloc.key', 'card1.key', 'card2.key', 'server1.key'].map((f) =>
      join(dir, f),
    );
    assert.ok(outputs.length > 0);
    assertNoSecrets(outputs, keys);
  });
});

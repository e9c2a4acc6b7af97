// `ltku card create|show|apdu|serve` and `ltku scp11 send`, run in-process on a fresh PKI.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadCardImage } from '../../src/card/index.js';
import { decodeCertificate } from '../../src/pki/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { runCli } from '../helpers/cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

let dir: string;
const card = () => join(dir, 'card.json');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ltku-card-cli-'));
  assert.equal((await runCli(['pki', 'init', '--dir', join(dir, 'pki')])).code, 0);
  const oce = await runCli([
    'pki',
    'issue',
    '--dir',
    join(dir, 'pki'),
    '--role',
    'oce',
    '--format',
    'x509',
    '--out',
    join(dir, 'oce'),
  ]);
  assert.equal(oce.code, 0, oce.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ltku card / ltku scp11', () => {
  it('card create writes the image and the personalisation file (mode 0600, contract format)', async () => {
    const r = await runCli([
      'card',
      'create',
      '--pki',
      join(dir, 'pki'),
      '--out',
      card(),
      '--profiles',
      '2',
      '--alg',
      'tuak',
      '--curves',
      'P-256,brainpoolP256r1',
      '--sd-cert-format',
      'x509',
      '--data-objects',
      'bare',
      '--subscribers-out',
      join(dir, 'subs.json'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(card()).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'subs.json')).mode & 0o777, 0o600);
    const subs = JSON.parse(readFileSync(join(dir, 'subs.json'), 'utf8'));
    assert.equal(subs.format, 'ltku-subscribers/1');
    assert.match(subs.eid, /^[0-9]{32}$/);
    assert.equal(subs.subscribers.length, 2);
    const s = subs.subscribers[0];
    assert.equal(s.algorithm, 'tuak');
    assert.match(s.topc, /^[0-9a-f]{64}$/);
    assert.deepEqual(s.tuak, { keccakIterations: 1, macLength: 8, resLength: 8, ckLength: 16, ikLength: 16 });
    assert.equal(s.keyVersion, 1);
    assert.ok(!r.stdout.includes(s.k), 'no key on stdout');
    const again = await runCli(['card', 'create', '--pki', join(dir, 'pki'), '--out', card()]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
  });

  it('card create trusts extra OCE CAs (PEM, DER or GP) and puts the EID in every CERT.SD.ECKA', async () => {
    const der = readFileSync(join(dir, 'pki', 'ca-kloc.der'));
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(dir, 'extra.pem'), pem);
    const out = join(dir, 'card2.json');
    const r = await runCli([
      'card',
      'create',
      '--pki',
      join(dir, 'pki'),
      '--out',
      out,
      '--curves',
      'P-256,P-384',
      '--trust-oce-ca',
      join(dir, 'extra.pem'),
      '--trust-oce-ca',
      join(dir, 'pki', 'ca-kloc.crt'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const image = loadCardImage(out);
    assert.deepEqual(
      image.caKloc.map((c) => c.kvn),
      [1, 2, 3],
    );
    assert.deepEqual(
      image.keySets.map((k) => [k.kid, k.kvn, k.keyPair.curve.name]),
      [
        [0x11, 1, 'P-256'],
        [0x11, 2, 'P-384'],
      ],
    );
    for (const k of image.keySets) assert.equal(decodeCertificate(k.certificates[0]).eid, image.eid);
    const bad = await runCli([
      'card',
      'create',
      '--pki',
      join(dir, 'pki'),
      '--out',
      join(dir, 'card3.json'),
      '--curves',
      'P-999',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--curves: P-999/);
  });

  it('card show hides keys unless --show-keys', async () => {
    const subs = JSON.parse(readFileSync(join(dir, 'subs.json'), 'utf8'));
    const plain = await runCli(['card', 'show', card()]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(plain.stdout.includes(subs.subscribers[0].iccid));
    assert.ok(!plain.stdout.includes(subs.subscribers[0].k));
    const keys = await runCli(['card', 'show', card(), '--show-keys', '--json']);
    assert.ok(keys.stdout.includes(subs.subscribers[0].k));
  });

  it('card apdu answers in the bare form the card was created with', async () => {
    const r = await runCli(['card', 'apdu', card(), '00A4040008A000000151000000', '80CA00E000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /< C006/, 'bare C0 list, no E0 wrapper');
    assert.equal((await runCli(['card', 'apdu', card(), 'zz'])).code, 2);
    const j = await runCli(['card', 'apdu', card(), '--json', '80CA00E000']);
    assert.equal(j.code, 0, j.stderr);
    const [x] = JSON.parse(j.stdout).exchanges;
    assert.deepEqual([x.command, x.sw], ['80ca00e000', '9000']);
    assert.match(x.response, /^c006/);
  });

  it('scp11 send opens a channel to the created card and reads its key information inside it', async () => {
    const r = await runCli([
      'scp11',
      'send',
      '--card',
      card(),
      '--key',
      join(dir, 'oce.key'),
      '--chain',
      join(dir, 'oce.crt'),
      '80CA00E000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SCP11a with key set 11\/1/);
    assert.match(r.stdout, /< C0061101B120F000C0061102B120F003C0061001B020F000 9000/);
    const j = await runCli([
      'scp11',
      'send',
      '--card',
      card(),
      '--key',
      join(dir, 'oce.key'),
      '--chain',
      join(dir, 'oce.crt'),
      '--json',
      '80CA00E000',
    ]);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.deepEqual([out.variant, out.kid, out.kvn], ['scp11a', 0x11, 1]);
    assert.deepEqual(out.exchanges[0].sw, '9000');
  });

  it('scp11 send with SCP11b and SCP11c; STORE DATA needs an authenticated OCE (11a/11c), so 11b gets 6982', async () => {
    const out = join(dir, 'card-abc.json');
    const created = await runCli([
      'card',
      'create',
      '--pki',
      join(dir, 'pki'),
      '--out',
      out,
      '--scp11',
      'a,b,c',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const bf72 = '80E291000FBF720C5A0A' + '00'.repeat(10);
    const common = ['--card', out, '--key', join(dir, 'oce.key'), '--chain', join(dir, 'oce.crt')];
    const b = await runCli(['scp11', 'send', ...common, '--variant', 'b', '80CA00E000', bf72]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /SCP11b with key set 13\/1/);
    assert.match(b.stdout, /< 6982/);
    const c = await runCli(['scp11', 'send', ...common, '--variant', 'c', '--aes', '32', bf72]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /SCP11c with key set 15\/1 .*AES-256/);
    assert.match(c.stdout, /< 6A88/);
  });

  it('card serve --tcp serves the card until stopped; scp11 send --tcp talks to it', async () => {
    const port = await freePort();
    let stop!: (s: string) => void;
    const stopSignal = new Promise<string>((resolve) => (stop = resolve));
    const serving = runCli(
      ['card', 'serve', card(), '--tcp', `127.0.0.1:${port}`, '--log-level', 'silent', '--json'],
      stopSignal,
    );
    let sent;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sent = await runCli([
        'scp11',
        'send',
        '--tcp',
        `127.0.0.1:${port}`,
        '--key',
        join(dir, 'oce.key'),
        '--chain',
        join(dir, 'oce.crt'),
        '80CABF3000',
      ]);
      if (sent.code === 0 || !/connect/.test(sent.stderr)) break;
    }
    assert.equal(sent?.code, 0, sent?.stderr);
    assert.match(sent!.stdout, /< BF30.* 9000/);
    stop('SIGTERM');
    const done = await serving;
    assert.equal(done.code, 0, done.stderr);
    const events = done.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      events.map((e) => [e.event, e.transport ?? e.signal]),
      [
        ['listening', 'tcp'],
        ['stopped', 'SIGTERM'],
      ],
    );
    assert.match(String(events[0].address), /^127\.0\.0\.1:\d+$/);
  });
});

// Issue 13: `ltku pki issue --days N`: short-lived OCE certificates, notAfter = now + N days (X.509 exact, read
// back by openssl; GP 5F24 the UTC day, valid through its end), N a whole number 1..36500 or a usage error.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeBcd, decodeTlv, decodeTlvs, findTlv } from '../../src/bytes/index.js';
import { decodeCertificate } from '../../src/pki/index.js';
import { runPki } from './run-pki.js';

const DAY_MS = 86_400_000;
const TAG_GP_CERTIFICATE = 0x7f21;
const TAG_EXPIRATION_DATE = 0x5f24;

/** YYYYMMDD of the UTC day of `t`. */
const utcDay = (t: number): string => new Date(t).toISOString().slice(0, 10).replaceAll('-', '');

describe('ltku pki issue --days', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltku-pki-days-'));
    const init = await runPki(['init', '--dir', dir]);
    assert.equal(init.code, 0, init.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const issue = (format: string, out: string, extra: string[]) =>
    runPki(['issue', '--dir', dir, '--role', 'oce', '--format', format, '--out', join(dir, out), ...extra]);

  it('x509 --days 3: openssl -enddate reads now + 3 days, to the second', async () => {
    const t0 = Date.now() - 1000;
    const r = await issue('x509', 'short-x509', ['--days', '3', '--json']);
    const t1 = Date.now();
    assert.equal(r.code, 0, r.stderr);
    const text = execFileSync(
      'openssl',
      ['x509', '-inform', 'DER', '-in', join(dir, 'short-x509.crt'), '-noout', '-enddate'],
      { encoding: 'utf8' },
    );
    const match = /^notAfter=(.+)$/m.exec(text);
    assert.ok(match, text);
    const enddate = Date.parse(match[1]);
    assert.ok(enddate >= t0 + 3 * DAY_MS && enddate <= t1 + 3 * DAY_MS, `${match[1]} is not now + 3 days`);
    const cert = decodeCertificate(readFileSync(join(dir, 'short-x509.crt')));
    assert.equal(cert.notAfter.getTime(), enddate);
    assert.equal(cert.notAfter.getTime() - cert.notBefore!.getTime(), 3 * DAY_MS);
    assert.equal(JSON.parse(r.stdout).notAfter, cert.notAfter.toISOString());
  });

  it('gp --days 2: 5F24 is the UTC day of now + 2 days; the summary says valid through its end', async () => {
    const t0 = Date.now();
    const r = await issue('gp', 'short-gp', ['--days', '2', '--json']);
    const t1 = Date.now();
    assert.equal(r.code, 0, r.stderr);
    const raw = new Uint8Array(readFileSync(join(dir, 'short-gp.crt')));
    const outer = decodeTlv(raw);
    assert.equal(outer.tag, TAG_GP_CERTIFICATE);
    const expiration = findTlv(decodeTlvs(outer.value), TAG_EXPIRATION_DATE);
    assert.ok(expiration, 'no 5F24');
    const day = decodeBcd(expiration.value);
    assert.ok(
      [utcDay(t0 + 2 * DAY_MS), utcDay(t1 + 2 * DAY_MS)].includes(day),
      `5F24 ${day} is not the day of now + 2 days`,
    );
    const endOfDay = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T23:59:59.999Z`;
    assert.equal(decodeCertificate(raw).notAfter.toISOString(), endOfDay);
    assert.equal(JSON.parse(r.stdout).notAfter, endOfDay);
  });

  it('default: 365 days', async () => {
    const r = await issue('x509', 'default', ['--json']);
    assert.equal(r.code, 0, r.stderr);
    const cert = decodeCertificate(readFileSync(join(dir, 'default.crt')));
    assert.equal(cert.notAfter.getTime() - cert.notBefore!.getTime(), 365 * DAY_MS);
  });

  for (const bad of ['0', '-1', '1.5', 'abc', '', '36501', '7d']) {
    it(`--days=${JSON.stringify(bad)} is a usage error and writes nothing`, async () => {
      const out = `bad-${bad.replace(/[^a-z0-9]/gi, '_')}`;
      const r = await issue('x509', out, [`--days=${bad}`]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--days/);
      assert.throws(() => readFileSync(join(dir, `${out}.crt`)), /ENOENT/);
    });
  }
});

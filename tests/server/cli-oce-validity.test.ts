// Issue 13: `ltku server serve` refuses to run with an OCE certificate inside its safety margin
// (--oce-min-validity), warns with one inside the warning window (--oce-warn-days), runs with a fresh one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from '../helpers/cli.js';
import { oceIssueArgs } from '../helpers/cli-args.js';
import { freePort } from '../helpers/free-port.js';

describe('ltku server serve: OCE certificate expiry guard', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltku-serve-oce-'));
    dataDir = join(dir, 'server');
    const init = await runCli(['auth', 'init', '--data-dir', dataDir]);
    assert.equal(init.code, 0, init.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A pki directory whose one OCE certificate is valid for `days` (undefined: the default). */
  async function pkiWith(name: string, days?: number): Promise<string> {
    const pki = join(dir, name);
    assert.equal((await runCli(['pki', 'init', '--dir', pki])).code, 0);
    const issued = await runCli(oceIssueArgs(pki, { days }));
    assert.equal(issued.code, 0, issued.stderr);
    return pki;
  }

  /** Serves until the admin listener answers (then stops it), or until serve returns by itself. */
  async function serve(pki: string, extra: string[] = []): Promise<CliResult & { cameUp: boolean }> {
    const [port, adminPort] = [await freePort(), await freePort()];
    let stop!: (s: string) => void;
    const serving = runCli(
      [
        'server',
        'serve',
        '--pki',
        pki,
        '--hss',
        'http://127.0.0.1:9',
        '--data-dir',
        dataDir,
        '--listen',
        `127.0.0.1:${port}`,
        '--admin-listen',
        `127.0.0.1:${adminPort}`,
        ...extra,
      ],
      new Promise((r) => (stop = r)),
    );
    let ended = false;
    void serving.then(() => (ended = true));
    let cameUp = false;
    for (let i = 0; i < 200 && !cameUp && !ended; i++) {
      cameUp = await fetch(`http://127.0.0.1:${adminPort}/admin/v1/jobs`).then(
        (r) => r.status === 401,
        () => false,
      );
      if (!cameUp) await new Promise((r) => setTimeout(r, 25));
    }
    stop('SIGTERM');
    return { ...(await serving), cameUp };
  }

  it('refuses with an OCE certificate that expires within the safety margin, naming it', async () => {
    const pki = await pkiWith('expiring', 3);
    const r = await serve(pki);
    assert.equal(r.cameUp, false);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /refusing to run: OCE certificate .* serial [0-9a-f]+ \(leaf\) expires \d{4}-\d\d-\d\dT23:59:59\.999Z/,
    );
    assert.match(r.stderr, /7-day safety margin/);
  });

  it('a smaller --oce-min-validity lets the same certificate run, with a warning', async () => {
    const pki = join(dir, 'expiring');
    const r = await serve(pki, ['--oce-min-validity', '2']);
    assert.equal(r.cameUp, true, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /oce-certificate-expiry-warning/);
  });

  it('warns with one inside the warning window and runs', async () => {
    const pki = await pkiWith('window', 20);
    const r = await serve(pki);
    assert.equal(r.cameUp, true, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /oce-certificate-expiry-warning/);
    assert.match(r.stderr, /30-day warning window/);
    const quiet = await serve(pki, ['--oce-warn-days', '10']);
    assert.equal(quiet.cameUp, true, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /oce-certificate-expiry-warning/);
  });

  it('runs with a fresh one, without a warning', async () => {
    const pki = await pkiWith('fresh');
    const r = await serve(pki);
    assert.equal(r.cameUp, true, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /oce-certificate-expir/);
  });

  it('margins: whole days, the warning window no narrower than the margin', async () => {
    const pki = join(dir, 'fresh');
    for (const extra of [
      ['--oce-min-validity', '-3'],
      ['--oce-min-validity', 'week'],
      ['--oce-warn-days', '5', '--oce-min-validity', '7'],
    ]) {
      const r = await serve(pki, extra);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /--oce-/);
    }
  });
});

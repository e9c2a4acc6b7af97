// The whole key update across separate processes on loopback, as an operator would run it: `ltku hss serve`,
// `ltku core serve`, `ltku server serve`, `ltku card serve --tcp`, and the UE as `ltku ue attach|sync --tcp`
// processes, on SQLite and on PostgreSQL (in a schema of its own, dropped at the end). Credentials (DESIGN.md 7)
// as an operator would use them: the first service creates them in <data-dir>/credentials, every client reads
// its role's 0600 token file; an issued and then revoked token stops working without a restart.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.js';
import { BIN, serve, stop, type Service } from './support/services.js';
import { dropSchemas, PG_BASE, pgReachable, pgUrl, schemaName } from './support/postgres.js';

const run = promisify(execFile);

/** Everything the CLI printed in this test, to check that no token ever shows. */
const printed: string[] = [];

async function ltkuJson(args: string[]): Promise<any> {
  const { stdout, stderr } = await run(process.execPath, [BIN, ...args, '--json'], { timeout: 60_000 });
  printed.push(stdout, stderr);
  return JSON.parse(stdout);
}

/** `ltku ARGS` as a process: exit code and output (for the failures). */
async function ltkuExit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    printed.push(stdout, stderr);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    printed.push(x.stdout, x.stderr);
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

const URL_LINE = /(http:\/\/127\.0\.0\.1:[0-9]+)/;

async function keyUpdateAcrossProcesses(db: (dir: string) => string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-e2e-'));
  const services: Service[] = [];
  try {
    const pki = join(dir, 'pki');
    const card = join(dir, 'card.json');
    const subscribers = join(dir, 'subscribers.json');
    for (const args of [
      ['pki', 'init', '--dir', pki],
      ['pki', 'issue', '--dir', pki, '--role', 'oce', '--format', 'gp', '--out', join(pki, 'oce')],
      ['card', 'create', '--pki', pki, '--out', card, '--profiles', '2', '--subscribers-out', subscribers],
      ['hss', 'import', subscribers, '--data-dir', dir, ...db(dir)],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `ltku ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
    }
    const { eid, subscribers: profiles } = JSON.parse(readFileSync(subscribers, 'utf8')) as {
      eid: string;
      subscribers: { iccid: string; imsi: string }[];
    };
    const iccid = profiles[0].iccid;

    const hss = await serve(
      ['hss', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dir, ...db(dir)],
      URL_LINE,
    );
    services.push(hss);
    // DESIGN.md 7: the first service of the data directory created its credentials, and said so
    const credentials = join(dir, 'credentials');
    assert.match(
      hss.output(),
      /no credentials in .*credentials: created principals operator, provisioner, core/,
    );
    assert.deepEqual(readdirSync(credentials).sort(), [
      'core.token',
      'operator.token',
      'principals.json',
      'provisioner.token',
    ]);
    for (const f of readdirSync(credentials)) assert.equal(mode(join(credentials, f)), 0o600, f);
    const tokens = ['operator', 'provisioner', 'core'].map((r) =>
      readFileSync(join(credentials, `${r}.token`), 'utf8').trim(),
    );
    const principalsJson = readFileSync(join(credentials, 'principals.json'), 'utf8');
    for (const t of tokens) assert.equal(principalsJson.includes(t.split('.')[2]), false, 'hashes only');
    const core = await serve(
      ['core', 'serve', '--listen', '127.0.0.1:0', '--hss', hss.address, '--data-dir', dir],
      URL_LINE,
    );
    services.push(core);
    const server = await serve(
      [
        'server',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--admin-listen',
        '127.0.0.1:0',
        '--pki',
        pki,
        '--hss',
        hss.address,
        '--core',
        core.address,
        '--inventory',
        subscribers,
        '--data-dir',
        dir,
        ...db(dir),
      ],
      /RAM (http:\/\/127\.0\.0\.1:[0-9]+)\/ram\/v1, admin (http:\/\/127\.0\.0\.1:[0-9]+)/,
    );
    services.push(server);
    const ramBase = server.address;
    const admin = server.groups[0];
    // DESIGN.md 7: the admin API is not on the UE-facing listener, the RAM endpoint not on the admin one
    const onRam = await fetch(`${ramBase}/admin/v1/jobs`, {
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
    assert.equal(onRam.status, 404);
    const ramOnAdmin = await fetch(`${admin}/ram/v1`, { method: 'POST' });
    assert.equal(ramOnAdmin.status, 404);
    assert.equal((await fetch(`${admin}/admin/v1/jobs`)).status, 401);
    const asProvisioner = await fetch(`${admin}/admin/v1/jobs`, {
      headers: { authorization: `Bearer ${tokens[1]}` },
    });
    assert.equal(asProvisioner.status, 403);
    const cardService = await serve(
      ['card', 'serve', card, '--tcp', '127.0.0.1:0'],
      /listening on tcp (\S+)/,
    );
    services.push(cardService);
    const tcp = cardService.address;

    const ueDir = ['--data-dir', dir];
    const before = await ltkuJson([
      'ue',
      'attach',
      '--tcp',
      tcp,
      '--iccid',
      iccid,
      '--core',
      core.address,
      ...ueDir,
    ]);
    assert.equal(before.state, 'attached', 'attach with the old keys');
    assert.equal('attachToken' in before, false, 'the attach token is kept, not printed');
    assert.equal(mode(join(dir, 'ue-attach-tokens.json')), 0o600);

    const job = await ltkuJson(['server', 'update', '--server', admin, '--iccid', iccid, ...ueDir]);
    const jobId = job.id ?? job.jobs?.[0]?.id;
    assert.ok(jobId, `a job was created: ${JSON.stringify(job)}`);

    // The UE runs the session, then detaches and attaches again with the new keys (step 7).
    const sync = await ltkuJson([
      'ue',
      'sync',
      '--tcp',
      tcp,
      '--server',
      ramBase,
      '--eid',
      eid,
      '--core',
      core.address,
      '--iccid',
      iccid,
      ...ueDir,
    ]);
    assert.ok(sync.posts <= 4, `at most 3 POSTs after the first (${sync.posts})`);
    assert.deepEqual(sync.reattached, [{ iccid, state: 'attached' }], 'attach with the new keys');

    const jobs = await ltkuJson(['server', 'jobs', '--server', admin, ...ueDir]);
    const done = (jobs.jobs ?? jobs).find((j: { id: string }) => j.id === jobId);
    assert.equal(done.state, 'completed', JSON.stringify(done));

    const other = await ltkuJson([
      'ue',
      'attach',
      '--tcp',
      tcp,
      '--iccid',
      profiles[1].iccid,
      '--core',
      core.address,
      ...ueDir,
    ]);
    assert.equal(other.state, 'attached', 'the other profile keeps its keys');
    // The detach of a later process is authorised by the token the attach kept.
    const detached = await ltkuJson([
      'ue',
      'detach',
      '--tcp',
      tcp,
      '--iccid',
      profiles[1].iccid,
      '--core',
      core.address,
      ...ueDir,
    ]);
    assert.equal(detached.state, 'detached');

    const subscriber = (await (
      await fetch(`${hss.address}/admin/v1/subscribers/${profiles[0].imsi}`, {
        headers: { authorization: `Bearer ${tokens[0]}` },
      })
    ).json()) as {
      activeVersion: number;
    };
    assert.equal(subscriber.activeVersion, 2, 'the HSS holds version 2 as active');

    // An operator issues a token, uses it, revokes it: the running server refuses it within about a second.
    const issued = await ltkuExit(['auth', 'issue', '--name', 'night-shift', '--role', 'operator', ...ueDir]);
    assert.equal(issued.code, 0, issued.stderr);
    const tokenFile = join(credentials, 'night-shift.token');
    assert.equal(mode(tokenFile), 0o600);
    tokens.push(readFileSync(tokenFile, 'utf8').trim());
    const withIt = ['server', 'jobs', '--server', admin, '--token-file', tokenFile];
    let listed = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 40 && listed.code !== 0; i++) {
      listed = await ltkuExit(withIt);
      if (listed.code !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(listed.code, 0, `a newly issued token works without a restart: ${listed.stderr}`);
    assert.equal((await ltkuExit(['auth', 'revoke', 'night-shift', ...ueDir])).code, 0);
    // the revoked token, as someone who kept a copy would present it
    const copy = join(dir, 'kept-copy.token');
    writeFileSync(copy, `${tokens[tokens.length - 1]}\n`, { mode: 0o600 });
    let refused = { code: 0, stdout: '', stderr: '' };
    for (let i = 0; i < 40 && refused.code === 0; i++) {
      refused = await ltkuExit(['server', 'jobs', '--server', admin, '--token-file', copy]);
      if (refused.code === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(refused.code, 1, 'a revoked token stops working');
    assert.match(refused.stderr, /401/);
    const principals = await ltkuJson(['auth', 'list', ...ueDir]);
    assert.deepEqual(
      principals.principals.map((p: { name: string }) => p.name),
      ['operator', 'provisioner', 'core'],
    );

    // No token (principal or attach) in anything a service logged or the CLI printed.
    const kept = JSON.parse(readFileSync(join(dir, 'ue-attach-tokens.json'), 'utf8')) as {
      attaches: Record<string, { attachToken: string }>;
    };
    const attachTokens = Object.values(kept.attaches).map((a) => a.attachToken);
    assert.ok(attachTokens.length > 0);
    const everything = [...services.map((x) => x.output()), ...printed].join('\n');
    for (const t of attachTokens) assert.equal(everything.includes(t), false, 'no attach token in output');
    for (const t of tokens) assert.equal(everything.includes(t.split('.')[2]), false, 'no token in output');
  } finally {
    const codes = [];
    for (const s of services.reverse()) codes.push(await stop(s));
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(
      codes,
      codes.map(() => 0),
      'every service stops cleanly on SIGTERM',
    );
  }
}

describe('key update across separate processes', { timeout: 180_000 }, () => {
  it('on SQLite', async () => {
    await keyUpdateAcrossProcesses(() => []);
  });

  const schemas: string[] = [];
  after(() => dropSchemas(schemas));

  it('on PostgreSQL', async (t) => {
    if (!(await pgReachable())) {
      t.skip(`PostgreSQL at ${PG_BASE} unreachable`);
      return;
    }
    const schema = schemaName();
    schemas.push(schema);
    await keyUpdateAcrossProcesses(() => ['--db', pgUrl(schema)]);
  });
});

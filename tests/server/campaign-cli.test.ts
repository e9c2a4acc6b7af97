// Issue 11: `ltku campaign create|start|status|report` against a running server's admin API with the operator's
// token: a bad file is refused naming its lines (nothing created), a good one runs to the end, status prints the
// progress line or JSON, the report is one CSV row (or JSON member) per subscriber with a summary. Also: with an
// advertised URL, X-Admin-Next-URI pins the RAM session to the instance.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { cliArgs, type CliOptions } from '../helpers/cli-args.js';
import { RAM_HEADERS } from './support/world.js';
import { fleet, sqliteServer, until } from './support/campaign-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-campaign-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `ltku campaign VERB` with `options`. */
const campaign = (verb: string, options: CliOptions) => runCli(cliArgs(['campaign', verb], options));

describe('ltku campaign', () => {
  it('create, start, status, report through the admin API', { timeout: 60_000 }, async () => {
    const f = await fleet('cli', 3, 2);
    const { server, close } = await sqliteServer(f, { instance: 'cli', tickMs: 20 });
    const tokenFile = join(dir, 'operator.token');
    writeFileSync(tokenFile, `${f.operatorToken}\n`, { mode: 0o600 });
    const target = { server: server.adminUrl, 'token-file': tokenFile };
    const ues = f.runUes(() => [server.ramUrl]);
    try {
      const bad = join(dir, 'bad.txt');
      writeFileSync(bad, `${f.entries[0].iccid}\nnonsense\n8949000000000000001\n`);
      const refused = await campaign('create', { file: bad, ...target });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /line 2: malformed/);
      assert.match(refused.stderr, /line 3: unknown ICCID 8949000000000000001/);
      assert.match((await campaign('list', target)).stdout, /no campaigns/);

      // A window around now (UTC), so that it feeds whenever the test runs.
      const hm = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 16);
      const window = `${hm(-3_600_000)}-${hm(3_600_000)}`;
      const good = join(dir, 'good.csv');
      writeFileSync(good, `# iccid,note\n${f.entries.map((e) => `${e.iccid},lot 7`).join('\n')}\n`);
      const created = await campaign('create', {
        file: good,
        name: 'lot 7',
        rate: 20,
        concurrency: 3,
        delivery: 'poll',
        window,
        ...target,
        json: true,
      });
      assert.equal(created.code, 0, created.stderr);
      const c = JSON.parse(created.stdout) as { id: string; state: string; total: number; options: object };
      assert.deepEqual([c.state, c.total], ['created', 6]);
      assert.deepEqual(c.options, {
        rate: 20,
        concurrency: 3,
        maxAttempts: 10,
        delivery: 'poll',
        window,
      });
      const started = await campaign('start', { id: c.id, ...target });
      assert.equal(started.code, 0, started.stderr);
      assert.match(
        started.stdout,
        /campaign [0-9a-f]{16} "lot 7": running, 6 subscribers; rate 20\/s, concurrency 3/,
      );
      assert.match(started.stdout, /\[[#.]{30}\]/);
      await until('the campaign completes', async () => {
        const s = await campaign('status', { id: c.id, ...target, json: true });
        return (JSON.parse(s.stdout) as { state: string }).state === 'completed';
      });
      const status = await campaign('status', { id: c.id, ...target });
      assert.match(status.stdout, /\[#{30}\] 100\.0%  6\/6  rotated 6  failed 0  cancelled 0/);

      const csv = await campaign('report', { id: c.id, ...target });
      assert.equal(csv.code, 0, csv.stderr);
      const rows = csv.stdout.trim().split('\n');
      assert.equal(rows[0], 'iccid,imsi,state,key_version,attempts,reason,detail');
      assert.deepEqual(
        rows.slice(1).map((r) => r.split(',').slice(0, 4).join(',')),
        f.entries.map((e) => `${e.iccid},${e.imsi},rotated,2`),
      );
      assert.match(csv.stderr, /6 subscribers, campaign completed: rotated 6/);
      const out = join(dir, 'report.json');
      const json = await campaign('report', { id: c.id, ...target, format: 'json', output: out });
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')) as {
        summary: { total: number; byState: Record<string, number> };
        members: unknown[];
      };
      assert.deepEqual(
        [report.summary.total, report.summary.byState, report.members.length],
        [6, { rotated: 6 }, 6],
      );
      const again = await campaign('cancel', { id: c.id, ...target });
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /campaign [0-9a-f]{16} is completed: it cannot be cancelled/);
      assert.match((await campaign('status', { id: 'xyz', ...target })).stderr, /--id: expected/);
    } finally {
      await ues.stop();
      await close();
      await f.close();
    }
  });

  it('with --advertise-url, X-Admin-Next-URI names the instance (the session stays on it)', async () => {
    const f = await fleet('advertise', 1, 1);
    const { server, close } = await sqliteServer(f, {
      instance: 'a',
      advertiseUrl: 'https://ram-a.example.net/',
    });
    try {
      await server.jobs.create({ iccid: f.entries[0].iccid }, 'operator');
      const r = await fetch(server.ramUrl, {
        method: 'POST',
        headers: { ...RAM_HEADERS, 'x-admin-from': `//se-id/eid/${f.cards[0].image.eid}` },
      });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      assert.match(
        r.headers.get('x-admin-next-uri') ?? '',
        /^https:\/\/ram-a\.example\.net\/ram\/v1\/sessions\/[0-9a-f-]{36}$/,
      );
    } finally {
      await close();
      await f.close();
    }
  });
});

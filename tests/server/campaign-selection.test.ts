// Issue 11: selection files of any size. `ltku campaign create --file` sends the file to a draft a chunk at a
// time (each checked against the inventory, appended once whatever the retries, a profile named twice kept
// once across chunks), then seals it; a bad line anywhere deletes the draft, naming the line, and nothing is
// started. `ltku campaign report` streams every member once. On SQLite and on PostgreSQL.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PRINCIPALS, ROLE_PROVISIONER, issueCredentials } from '../../src/auth/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import {
  PostgresJobStore,
  SqliteJobStore,
  openJobStore,
  type InventoryEntry,
  type JobStore,
} from '../../src/server/index.js';
import {
  PostgresCampaignStore,
  SqliteCampaignStore,
  openCampaignStore,
  type CampaignStore,
} from '../../src/server/campaign/index.js';
import { runCli } from '../helpers/cli.js';
import { NOW } from '../card/support/fixture.js';
import { admin, fleet, type Fleet } from './support/campaign-fleet.js';
import { PG_BASE, pgSkip } from './support/pg.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-campaign-selection-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Above the old one-request cap of 40 000 lines. */
const LINES = 60_000;
const SEED = 'selection';
const PATH = '/admin/v1/campaigns';

/** Synthetic profiles (no card behind them): a campaign's selection only needs the inventory. */
function synthetic(i: number): InventoryEntry {
  return {
    eid: `89049032${String(Math.floor(i / 4)).padStart(24, '0')}`,
    iccid: `8949${String(i).padStart(15, '0')}`,
    imsi: `00109${String(i).padStart(10, '0')}`,
    algorithm: 'milenage',
  };
}

interface Backend {
  readonly name: string;
  readonly skip: string | false;
  open(): Promise<{ jobStore: JobStore; campaignStore: CampaignStore; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    skip: false,
    async open() {
      const file = join(dir, `server-${Math.random().toString(16).slice(2)}.sqlite`);
      const jobStore = new SqliteJobStore(file);
      const campaignStore = new SqliteCampaignStore(file);
      return {
        jobStore,
        campaignStore,
        async close() {
          await campaignStore.close();
          await jobStore.close();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    async open() {
      const url = `${PG_BASE}?schema=campaign_selection_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
      const jobStore = (await openJobStore(url)) as PostgresJobStore;
      const campaignStore = (await openCampaignStore(url)) as PostgresCampaignStore;
      return {
        jobStore,
        campaignStore,
        async close() {
          await campaignStore.dropSchema();
          await campaignStore.close();
          await jobStore.dropSchema().catch(() => {});
          await jobStore.close();
        },
      };
    },
  },
];

/** One real card's fleet plus LINES synthetic profiles in the server's inventory. */
async function world(backend: Backend) {
  const f: Fleet = await fleet(SEED, 1, 1);
  for (let i = 0; i < LINES; i++) f.entries.push(synthetic(i));
  const stores = await backend.open();
  const server = await f.server({ ...stores, instance: 'selection', tickMs: 60_000 });
  const tokenFile = join(dir, `operator-${backend.name}.token`);
  writeFileSync(tokenFile, `${f.operatorToken}\n`, { mode: 0o600 });
  const target = ['--server', server.adminUrl, '--token-file', tokenFile];
  const api = (method: string, path: string, body?: object) =>
    admin(server.adminUrl, f.operatorToken, method, path, body);
  return {
    f,
    server,
    target,
    api,
    async close() {
      await server.close();
      await stores.close();
      await f.close();
    },
  };
}

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

for (const backend of backends) {
  describe(`campaign selections above one request (${backend.name})`, { skip: backend.skip }, () => {
    let w: Awaited<ReturnType<typeof world>>;
    before(async () => {
      w = await world(backend);
    });
    after(async () => {
      await w?.close();
    });

    it(`a ${LINES}-line file creates a campaign of every member, positions continuing across chunks`, async () => {
      {
        // ICCIDs and IMSIs, a comment and a CSV column; line 45 002 names profile 7 again by its IMSI (another
        // chunk than its ICCID): kept once.
        const lines = ['# leaked lot 7, iccid,note'];
        for (let i = 0; i < LINES; i++)
          lines.push(i % 2 === 0 ? `${synthetic(i).iccid},lot 7` : synthetic(i).imsi);
        lines.splice(45_001, 0, synthetic(7).imsi);
        const path = file('big.csv', lines);
        const created = await runCli([
          'campaign',
          'create',
          '--file',
          path,
          '--name',
          'big',
          ...w.target,
          '--json',
        ]);
        assert.equal(created.code, 0, created.stderr);
        const c = JSON.parse(created.stdout) as {
          id: string;
          state: string;
          total: number;
          duplicates: number;
        };
        assert.deepEqual([c.state, c.total, c.duplicates], ['created', LINES, 1]);
        const status = await w.api('GET', `${PATH}/${c.id}`);
        assert.deepEqual(
          [status.json.total, (status.json.counts as { waiting: number }).waiting],
          [LINES, LINES],
        );

        const tail = await w.api('GET', `${PATH}/${c.id}/report?after=${LINES - 3}&limit=10`);
        assert.deepEqual(
          (tail.json.members as { seq: number; iccid: string }[]).map((m) => [m.seq, m.iccid]),
          [
            [LINES - 2, synthetic(LINES - 2).iccid],
            [LINES - 1, synthetic(LINES - 1).iccid],
          ],
          'positions continue across the chunks, each profile once',
        );
      }
    });

    it('the report streams every member once (CSV and JSON), with the summary', async () => {
      const n = 7_000; // more than one page of the CLI (5 000)
      const range = `${synthetic(0).imsi}-${synthetic(n - 1).imsi}`;
      const created = await runCli(['campaign', 'create', '--imsi-range', range, ...w.target, '--json']);
      assert.equal(created.code, 0, created.stderr);
      const id = (JSON.parse(created.stdout) as { id: string }).id;
      await w.api('POST', `${PATH}/${id}/cancel`);

      const csv = await runCli(['campaign', 'report', '--id', id, ...w.target]);
      assert.equal(csv.code, 0, csv.stderr);
      const rows = csv.stdout.trimEnd().split('\n');
      assert.equal(rows.length, n + 1);
      assert.deepEqual(
        rows.slice(1).map((r) => r.split(',')[0]),
        Array.from({ length: n }, (_, i) => synthetic(i).iccid),
      );
      assert.match(
        csv.stderr,
        new RegExp(`^${n} subscribers, campaign cancelled: cancelled ${n}; reasons: cancelled ${n}`),
      );

      const out = join(dir, `report-${backend.name}.json`);
      const json = await runCli([
        'campaign',
        'report',
        '--id',
        id,
        ...w.target,
        '--format',
        'json',
        '--output',
        out,
      ]);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(readFileSync(out, 'utf8')) as {
        campaign: { id: string; total: number };
        members: { seq: number; iccid: string; state: string }[];
        summary: { total: number; byState: Record<string, number>; byReason: Record<string, number> };
      };
      assert.deepEqual([report.campaign.id, report.campaign.total], [id, n]);
      assert.deepEqual(report.summary, {
        campaign: id,
        state: 'cancelled',
        total: n,
        byState: { cancelled: n },
        byReason: { cancelled: n },
      });
      assert.deepEqual(
        report.members.map((m) => [m.seq, m.iccid]),
        Array.from({ length: n }, (_, i) => [i, synthetic(i).iccid]),
      );
      const stdout = await runCli(['campaign', 'report', '--id', id, ...w.target, '--json']);
      assert.deepEqual(JSON.parse(stdout.stdout), report, 'the same document on stdout');
    });

    it('a bad line at 50 001 names the line, deletes the draft and starts nothing', async () => {
      const ids = async () =>
        ((await w.api('GET', PATH)).json.campaigns as { id: string }[]).map((c) => c.id);
      const existing = await ids();
      {
        const lines = Array.from({ length: LINES }, (_, i) => synthetic(i).iccid);
        lines[50_000] = '8949999999999999999';
        lines[59_000] = '0123456789abcdef0123456789abcdef'; // not quoted back: it could be a key
        const path = file('bad.txt', lines);
        const r = await runCli(['campaign', 'create', '--file', path, '--start', ...w.target]);
        assert.notEqual(r.code, 0);
        assert.match(
          r.stderr,
          /selection refused, nothing started: line 50001: unknown ICCID 8949999999999999999/,
        );
        assert.match(r.stderr, /line 59001: malformed: a field of 32 characters/);
        assert.doesNotMatch(r.stderr, /0123456789abcdef/);
        assert.match(r.stderr, /\(nothing created\)/);
        assert.deepEqual(await ids(), existing);

        // Interrupted (SIGINT) before the first chunk went: the draft is deleted too.
        const ok = file('ok.txt', lines.slice(0, 100));
        const stopped = await runCli(
          ['campaign', 'create', '--file', ok, ...w.target],
          Promise.resolve('SIGINT'),
        );
        assert.notEqual(stopped.code, 0);
        assert.match(stopped.stderr, /interrupted \(SIGINT\) \(nothing created\)/);
        assert.deepEqual(await ids(), existing);
      }
    });

    it('an append replayed is not appended twice; a refused or incomplete draft is never started', async () => {
      {
        const draft = await w.api('POST', PATH, { name: 'chunks', selection: { chunks: true } });
        assert.equal(draft.status, 201);
        assert.equal(draft.json.state, 'draft');
        const id = draft.json.id as string;
        const chunk0 = {
          chunk: 0,
          firstLine: 1,
          lines: ['# head', ...[0, 1, 2].map((i) => synthetic(i).iccid)],
        };
        // The same chunk twice at once (a retry racing its original), then once more: appended once.
        const [a, b] = await Promise.all([
          w.api('POST', `${PATH}/${id}/members`, chunk0),
          w.api('POST', `${PATH}/${id}/members`, chunk0),
        ]);
        assert.deepEqual([a.status, b.status], [200, 200]);
        assert.deepEqual([a.json.total, b.json.total], [3, 3]);
        assert.deepEqual([a.json.replayed, b.json.replayed].sort(), [false, true]);
        const again = await w.api('POST', `${PATH}/${id}/members`, chunk0);
        assert.deepEqual([again.json.replayed, again.json.total, again.json.chunks], [true, 3, 1]);
        const early = await w.api('POST', `${PATH}/${id}/members`, { chunk: 2, firstLine: 9, lines: ['x'] });
        assert.equal(early.status, 409);
        assert.match(early.json.detail as string, /chunk 2 before chunk 1/);
        // Chunk 1 names profile 2 again (by IMSI) and profile 3: kept once, positions continuing.
        const chunk1 = { chunk: 1, firstLine: 5, lines: [synthetic(2).imsi, synthetic(3).iccid] };
        const one = await w.api('POST', `${PATH}/${id}/members`, chunk1);
        assert.deepEqual([one.json.total, one.json.duplicates, one.json.chunks], [4, 1, 2]);
        assert.equal((await w.api('POST', `${PATH}/${id}/start`)).status, 409, 'a draft is not started');
        const missing = await w.api('POST', `${PATH}/${id}/seal`, { chunks: 3 });
        assert.equal(missing.status, 409);
        assert.match(missing.json.detail as string, /took 2 chunks, not 3/);
        const sealed = await w.api('POST', `${PATH}/${id}/seal`, { chunks: 2, start: true });
        assert.equal(sealed.status, 200, JSON.stringify(sealed.json));
        assert.deepEqual([sealed.json.state, sealed.json.total], ['running', 4]);
        const resealed = await w.api('POST', `${PATH}/${id}/seal`, { chunks: 2, start: true });
        assert.deepEqual([resealed.status, resealed.json.state], [200, 'running']);
        const report = await w.api('GET', `${PATH}/${id}/report`);
        assert.deepEqual(
          (report.json.members as { seq: number; iccid: string }[]).map((m) => [m.seq, m.iccid]),
          [0, 1, 2, 3].map((i) => [i, synthetic(i).iccid]),
        );
        assert.equal((await w.api('POST', `${PATH}/${id}/members`, chunk1)).json.replayed, true);
        assert.equal((await w.api('POST', `${PATH}/${id}/members`, { ...chunk1, chunk: 2 })).status, 409);
        assert.equal(
          (await w.api('DELETE', `${PATH}/${id}`)).status,
          409,
          'a campaign is cancelled, not deleted',
        );
        await w.api('POST', `${PATH}/${id}/cancel`);

        // A refused draft: the bad chunk appends nothing, the next is only checked, the seal names the lines.
        const bad = (await w.api('POST', PATH, { selection: { chunks: true } })).json.id as string;
        await w.api('POST', `${PATH}/${bad}/members`, {
          chunk: 0,
          firstLine: 1,
          lines: [synthetic(5).iccid],
        });
        const refused = await w.api('POST', `${PATH}/${bad}/members`, {
          chunk: 1,
          firstLine: 2,
          lines: [synthetic(6).iccid, '8949999999999999999'],
        });
        assert.deepEqual([refused.status, refused.json.problems, refused.json.total], [200, 1, 1]);
        const checked = await w.api('POST', `${PATH}/${bad}/members`, {
          chunk: 2,
          firstLine: 4,
          lines: [synthetic(8).iccid, 'junk'],
        });
        assert.deepEqual([checked.json.problems, checked.json.total], [2, 1]);
        const no = await w.api('POST', `${PATH}/${bad}/seal`, { chunks: 3, start: true });
        assert.equal(no.status, 400);
        assert.equal(
          no.json.detail,
          'selection refused, nothing started: line 3: unknown ICCID 8949999999999999999 (not in the inventory); ' +
            'line 5: malformed: "junk" is neither an ICCID (19 or 20 digits) nor an IMSI (15 digits)',
        );
        assert.equal((await w.api('POST', `${PATH}/${bad}/start`)).status, 409);
        const listed = (await w.api('GET', PATH)).json.campaigns as {
          id: string;
          state: string;
          upload?: object;
        }[];
        assert.deepEqual(
          listed.filter((c) => c.id === bad).map((c) => [c.state, c.upload]),
          [['draft', { chunks: 3, lines: 5, duplicates: 0, problems: 2 }]],
        );
        const deleted = await runCli(['campaign', 'delete', '--id', bad, ...w.target]);
        assert.equal(deleted.code, 0, deleted.stderr);
        assert.match(deleted.stdout, new RegExp(`draft ${bad} deleted \\(1 members\\)`));
        assert.equal((await w.api('GET', `${PATH}/${bad}`)).status, 404);
      }
    });
  });
}

describe('campaign drafts: who may', () => {
  it('the operator only: no token 401, a provisioner 403', async () => {
    const w = await world(backends[0]);
    try {
      const id = (await w.api('POST', PATH, { selection: { chunks: true } })).json.id as string;
      const provisioner = issueCredentials(
        DEFAULT_PRINCIPALS,
        new SeededRandom(`cred-${SEED}`),
        NOW.toISOString(),
      ).tokens.get(ROLE_PROVISIONER) as string;
      const calls: [string, string, object?][] = [
        ['POST', PATH, { selection: { chunks: true } }],
        ['POST', `${PATH}/${id}/members`, { chunk: 0, firstLine: 1, lines: [synthetic(0).iccid] }],
        ['POST', `${PATH}/${id}/seal`, { chunks: 1 }],
        ['DELETE', `${PATH}/${id}`],
      ];
      for (const [method, path, body] of calls) {
        assert.equal(
          (await admin(w.server.adminUrl, provisioner, method, path, body)).status,
          403,
          `${method} ${path}`,
        );
        const anonymous = await fetch(`${w.server.adminUrl}${path}`, {
          method,
          ...(body === undefined
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        });
        await anonymous.arrayBuffer();
        assert.equal(anonymous.status, 401, `${method} ${path}`);
      }
      const c = await w.api('GET', `${PATH}/${id}`);
      assert.deepEqual([c.json.state, c.json.total], ['draft', 0], 'nothing changed');
    } finally {
      await w.close();
    }
  });
});

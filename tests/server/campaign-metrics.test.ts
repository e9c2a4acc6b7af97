// Issue 11, DESIGN.md 7: the campaign metrics on the admin listener's /metrics (role operator): members by state
// of each unfinished campaign, read from the campaign store at the scrape, and the jobs the feeder created. A
// cancelled campaign leaves the gauge; the counter keeps what was created.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { admin, fleet, sqliteServer, until } from './support/campaign-fleet.js';

async function scrape(adminUrl: string, token: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`${adminUrl}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(20_000),
  });
  return { status: r.status, text: await r.text() };
}

/** The sample `name{labels}` of the exposition, undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('campaign metrics (SQLite)', () => {
  it('reports members by state of unfinished campaigns and the jobs the feeder created', async () => {
    const f = await fleet('metrics', 2, 3);
    const { server, jobStore, close } = await sqliteServer(f, { instance: 'one', tickMs: 20 });
    const call = (method: string, path: string, body?: object) =>
      admin(server.adminUrl, f.operatorToken, method, path, body);
    try {
      // No UE polls: the jobs stay pending, so the concurrency holds the campaign at 3 open, 2 waiting.
      const running = await call('POST', '/admin/v1/campaigns', {
        selection: { lines: f.entries.slice(0, 5).map((e) => e.iccid) },
        options: { rate: 1000, concurrency: 3, delivery: 'poll' },
        start: true,
      });
      assert.equal(running.status, 201, JSON.stringify(running.json));
      const id = running.json.id as string;
      const idle = await call('POST', '/admin/v1/campaigns', {
        selection: { lines: [f.entries[5].iccid] },
        options: { delivery: 'poll' },
      });
      assert.equal(idle.status, 201, JSON.stringify(idle.json));
      const idleId = idle.json.id as string;
      await until('3 open members', async () => {
        const s = await call('GET', `/admin/v1/campaigns/${id}`);
        return (s.json.counts as Record<string, number>).open === 3;
      });

      assert.equal((await scrape(server.adminUrl, 'not-a-token')).status, 401);
      const { status, text } = await scrape(server.adminUrl, f.operatorToken);
      assert.equal(status, 200);
      const members = (c: string, state: string) =>
        sample(text, `ltku_campaign_members{campaign="${c}",state="${state}"}`);
      assert.deepEqual(
        ['waiting', 'feeding', 'open', 'rotated', 'failed', 'cancelled'].map((s) => members(id, s)),
        [2, 0, 3, 0, 0, 0],
      );
      assert.equal(members(idleId, 'waiting'), 1, 'a created campaign is reported too');
      assert.equal(sample(text, 'ltku_campaign_jobs_created_total'), 3);
      assert.equal((await jobStore.list()).length, 3, 'the counter matches the jobs in the store');
      for (const e of f.entries)
        assert.ok(!text.includes(e.iccid) && !text.includes(e.imsi), 'no ICCID/IMSI');

      // Cancelled: final, so no longer in the gauge; the counter does not go down.
      assert.equal((await call('POST', `/admin/v1/campaigns/${id}/cancel`)).json.state, 'cancelled');
      const after = (await scrape(server.adminUrl, f.operatorToken)).text;
      assert.equal(sample(after, `ltku_campaign_members{campaign="${id}",state="open"}`), undefined);
      assert.ok(!after.includes(`campaign="${id}"`), 'the cancelled campaign left the gauge');
      assert.equal(sample(after, `ltku_campaign_members{campaign="${idleId}",state="waiting"}`), 1);
      assert.equal(sample(after, 'ltku_campaign_jobs_created_total'), 3);
    } finally {
      await close();
      await f.close();
    }
  });
});

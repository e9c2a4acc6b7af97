// Issue 11, DESIGN.md 8: campaigns on one server instance (SQLite): created through the admin API from a
// selection, fed in waves at the rate limit with at most `concurrency` open jobs, reconciled from the jobs'
// final states; pause stops feeding, resume goes on, cancel ends the waiting members and the jobs not yet at the
// card; the report names every subscriber's final state. Virtual cards with UE agents do the real key updates.
import { describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SessionError, SqliteJobStore } from '../../src/server/index.js';
import { SqliteCampaignStore } from '../../src/server/campaign/index.js';
import { RAM_HEADERS } from './support/world.js';
import { admin, fleet, sqliteServer, until, type Fleet } from './support/campaign-fleet.js';

interface Status {
  id: string;
  state: string;
  total: number;
  done: number;
  counts: Record<string, number>;
}
interface Member {
  iccid: string;
  state: string;
  keyVersion?: number;
  reason?: string;
  detail?: string;
  jobId?: string;
  attempts: number;
}

async function report(url: string, token: string, id: string): Promise<Member[]> {
  const out: Member[] = [];
  let after = -1;
  for (;;) {
    const r = await admin(url, token, 'GET', `/admin/v1/campaigns/${id}/report?after=${after}&limit=7`);
    assert.equal(r.status, 200);
    out.push(...(r.json.members as Member[]));
    if (r.json.next === undefined) return out;
    after = r.json.next as number;
  }
}

describe('campaigns on one instance (SQLite)', () => {
  it('rotates every selected subscriber once, at most `concurrency` open jobs, and reports each', async () => {
    const f = await fleet('one', 6, 3);
    const { server, jobStore, close } = await sqliteServer(f, { instance: 'one', tickMs: 20 });
    const ues = f.runUes(() => [server.ramUrl]);
    try {
      // Batch B0: cards 0, 2, 4 (9 subscribers); the others are not touched.
      const created = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        name: 'batch B0',
        selection: { batch: 'B0' },
        options: { rate: 50, concurrency: 2, delivery: 'poll' },
        start: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const id = created.json.id as string;
      assert.equal(created.json.total, 9);
      let maxOpen = 0;
      await until('the campaign completes', async () => {
        const s = (await admin(server.adminUrl, f.operatorToken, 'GET', `/admin/v1/campaigns/${id}`))
          .json as unknown as Status;
        maxOpen = Math.max(maxOpen, s.counts.open + s.counts.feeding);
        return s.state === 'completed';
      });
      assert.ok(maxOpen <= 2, `at most 2 open jobs at a time, saw ${maxOpen}`);
      const members = await report(server.adminUrl, f.operatorToken, id);
      assert.equal(members.length, 9);
      // Paging beyond any member position is a 400 naming the parameter, on every backend.
      const beyond = await admin(
        server.adminUrl,
        f.operatorToken,
        'GET',
        `/admin/v1/campaigns/${id}/report?after=2147483648`,
      );
      assert.equal(beyond.status, 400);
      assert.match(JSON.stringify(beyond.json), /after/);
      const inBatch = new Set(f.entries.filter((e) => e.batch === 'B0').map((e) => e.iccid));
      assert.deepEqual(new Set(members.map((m) => m.iccid)), inBatch);
      for (const m of members) assert.deepEqual([m.state, m.keyVersion], ['rotated', 2], m.iccid);
      // The cards agree, and nobody outside the batch was rotated.
      for (const c of f.cards)
        for (const p of c.card.image.profiles)
          assert.equal(p.keyVersion, inBatch.has(p.iccid) ? 2 : 1, `card profile ${p.iccid}`);
      // One job per member (exactly once), each completed.
      const jobs = await jobStore.list({ limit: 1000 });
      assert.equal(jobs.length, 9);
      assert.ok(jobs.every((j) => j.state === 'completed' && j.createdBy.endsWith(`@campaign:${id}:poll`)));
    } finally {
      await ues.stop();
      await close();
      await f.close();
    }
  });

  it('pause stops feeding, resume goes on; cancel ends waiting members and jobs not at the card', async () => {
    const f = await fleet('pause', 4, 3);
    const { server, jobStore, close } = await sqliteServer(f, { instance: 'one', tickMs: 20 });
    const call = (method: string, path: string, body?: object) =>
      admin(server.adminUrl, f.operatorToken, method, path, body);
    const status = async (id: string) =>
      (await call('GET', `/admin/v1/campaigns/${id}`)).json as unknown as Status;
    let ues: ReturnType<Fleet['runUes']> | undefined;
    try {
      // No UE polls yet: jobs stay pending, so the concurrency holds the feeding at 3.
      const created = await call('POST', '/admin/v1/campaigns', {
        selection: { lines: f.entries.slice(0, 8).map((e) => e.iccid) },
        options: { rate: 1000, concurrency: 3, delivery: 'poll' },
      });
      assert.equal(created.status, 201);
      const id = created.json.id as string;
      assert.equal(created.json.state, 'created');
      assert.equal((await jobStore.list()).length, 0, 'created is not started');
      assert.equal((await call('POST', `/admin/v1/campaigns/${id}/start`)).json.state, 'running');
      await until('three open jobs', async () => (await status(id)).counts.open === 3);
      assert.equal((await call('POST', `/admin/v1/campaigns/${id}/pause`)).json.state, 'paused');
      assert.equal((await call('POST', `/admin/v1/campaigns/${id}/pause`)).status, 409, 'paused twice');
      // Paused: the open jobs go to their end, no new job is created.
      ues = f.runUes(() => [server.ramUrl]);
      await until('the open jobs end', async () => (await status(id)).counts.rotated === 3);
      await new Promise((r) => setTimeout(r, 200));
      const paused = await status(id);
      assert.deepEqual(
        [paused.counts.waiting, paused.counts.open, (await jobStore.list()).length],
        [5, 0, 3],
      );
      assert.equal((await call('POST', `/admin/v1/campaigns/${id}/resume`)).json.state, 'running');
      await until('completed', async () => (await status(id)).state === 'completed');
      assert.equal((await status(id)).counts.rotated, 8);
      assert.equal(
        (await call('POST', `/admin/v1/campaigns/${id}/cancel`)).status,
        409,
        'completed is final',
      );
      await ues.stop();
      ues = undefined;

      // Cancel: with no UE, two jobs wait pending; the cancel ends them and the waiting members.
      const second = await call('POST', '/admin/v1/campaigns', {
        selection: { lines: f.entries.slice(8).map((e) => e.imsi) },
        options: { concurrency: 2, rate: 1000, delivery: 'poll' },
        start: true,
      });
      const id2 = second.json.id as string;
      await until('two open jobs', async () => (await status(id2)).counts.open === 2);
      const cancelled = (await call('POST', `/admin/v1/campaigns/${id2}/cancel`)).json as unknown as Status;
      assert.equal(cancelled.state, 'cancelled');
      assert.equal(cancelled.counts.waiting, 0);
      await until('every member cancelled', async () => (await status(id2)).counts.cancelled === 4);
      const r = await call('GET', `/admin/v1/campaigns/${id2}/report`);
      for (const m of r.json.members as Member[]) {
        assert.equal(m.state, 'cancelled');
        assert.equal(m.reason, 'cancelled');
      }
      const jobs = (await jobStore.list()).filter((j) => j.createdBy.includes(id2));
      assert.deepEqual(
        jobs.map((j) => j.state),
        ['cancelled', 'cancelled'],
      );
      assert.ok(
        (await status(id2)).state === 'cancelled' &&
          (await call('GET', `/admin/v1/campaigns/${id2}`)).json.finishedAt,
      );
      for (const e of f.entries.slice(8))
        assert.equal((await f.hss.getSubscriber(e.imsi)).candidate, undefined);
    } finally {
      await ues?.stop();
      await close();
      await f.close();
    }
  });

  it('failures before the card authenticates never end a member; authenticated sessions without BF70 do', async () => {
    const f = await fleet('unreachable', 2, 1);
    const jobStore = new SqliteJobStore(':memory:');
    const server = await f.server({
      jobStore,
      campaignStore: new SqliteCampaignStore(':memory:'),
      instance: 'one',
      tickMs: 20,
    });
    let ues: ReturnType<Fleet['runUes']> | undefined;
    try {
      const call = (method: string, path: string) => admin(server.adminUrl, f.operatorToken, method, path);
      const created = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        selection: { lines: [f.entries[0].iccid, f.entries[1].iccid] },
        options: { maxAttempts: 1, delivery: 'poll' },
        start: true,
      });
      const id = created.json.id as string;
      await until('the jobs exist', async () => (await jobStore.list()).length === 2);
      const jobOf = async (i: number) => (await jobStore.list()).find((j) => j.iccid === f.entries[i].iccid);
      // Card 1's card authenticates in a session that ends before BF70 (the UE went away): one session.
      const eid1 = f.cards[1].image.eid;
      const claimed = await server.jobs.claim(eid1, 'session-authenticated');
      assert.ok(claimed !== undefined);
      await claimed.hooks.authenticated?.({} as never);
      const error = new SessionError('abandoned', 'the UE went away');
      await claimed.finish({ kind: 'failed', error, requestSent: false, authenticated: true });
      assert.equal((await jobOf(1))?.sessions, 1);
      // Card 0: anyone who knows the EID opens sessions and goes away (the oldest unauthenticated one is
      // dropped, an attempt), as one who holds the stolen keys would, to keep them in service.
      for (let i = 0; i < 5; i++) {
        const r = await fetch(server.ramUrl, {
          method: 'POST',
          headers: { ...RAM_HEADERS, 'x-admin-from': `//se-id/eid/${f.cards[0].image.eid}` },
        });
        await r.arrayBuffer();
      }
      await until('the attempt is counted', async () => ((await jobOf(0))?.attempts ?? 0) >= 1);
      await until(
        'member 1 ends',
        async () => (await report(server.adminUrl, f.operatorToken, id))[1].state === 'failed',
      );
      const [m0, m1] = await report(server.adminUrl, f.operatorToken, id);
      assert.deepEqual([m1.state, m1.reason], ['failed', 'unreachable']);
      assert.match(m1.detail ?? '', /unreachable after 1 sessions in which the card authenticated/);
      assert.equal((await jobOf(1))?.state, 'cancelled');
      // Member 0 was reconciled in the same rounds and stays open: its attempts end nothing.
      assert.equal(m0.state, 'open');
      assert.equal((await jobOf(0))?.state, 'pending');
      assert.equal((await call('GET', `/admin/v1/campaigns/${id}`)).json.state, 'running');
      // The real card's UE comes: it rotates (after the backoff the attempts imposed).
      ues = f.runUes(() => [server.ramUrl]);
      await until(
        'the campaign ends',
        async () => (await call('GET', `/admin/v1/campaigns/${id}`)).json.state === 'completed',
      );
      const [r0] = await report(server.adminUrl, f.operatorToken, id);
      assert.deepEqual([r0.state, r0.keyVersion], ['rotated', 2]);
      assert.ok(r0.attempts >= 1, 'the report shows the failed attempts');
      assert.equal(f.cards[0].card.image.profiles[0].keyVersion, 2);
      assert.equal(f.cards[1].card.image.profiles[0].keyVersion, 1, 'the cancelled job never reached card 1');
    } finally {
      await ues?.stop();
      await server.close();
      await jobStore.close();
      await f.close();
    }
  });

  it('refuses a selection with bad lines, naming each line, and creates nothing', async () => {
    const f = await fleet('bad', 1, 2);
    const { server, close } = await sqliteServer(f, { instance: 'one' });
    try {
      const lines = [
        '# ICCIDs to rotate',
        f.entries[0].iccid,
        '8949000000000000000',
        'not-an-iccid',
        '',
        f.entries[1].imsi,
        '001019999999999',
      ];
      const r = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        selection: { lines },
        start: true,
      });
      assert.equal(r.status, 400);
      const detail = r.json.detail as string;
      assert.match(detail, /line 3: unknown ICCID 8949000000000000000/);
      assert.match(detail, /line 4: malformed/);
      assert.match(detail, /line 7: unknown IMSI 001019999999999/);
      assert.doesNotMatch(detail, /line [1256]:/);
      const list = await admin(server.adminUrl, f.operatorToken, 'GET', '/admin/v1/campaigns');
      assert.deepEqual(list.json.campaigns, []);
      const empty = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        selection: { batch: 'no-such-batch' },
      });
      assert.equal(empty.status, 400);
      assert.match(empty.json.detail as string, /no profile in the inventory is of batch "no-such-batch"/);
      const window = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        selection: { batch: 'B0' },
        options: { window: '25:00-03:00' },
      });
      assert.equal(window.status, 400);
      assert.match(window.json.detail as string, /window/);
    } finally {
      await close();
      await f.close();
    }
  });

  it('delivery push asks the core to push each job; poll leaves the UE to ask', async () => {
    const pushed: string[] = [];
    const core = createServer((req, res) => {
      pushed.push(req.url ?? '');
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => core.listen(0, '127.0.0.1', r));
    const f = await fleet('push', 2, 2);
    const { server, jobStore, close } = await sqliteServer(f, {
      instance: 'one',
      tickMs: 20,
      coreUrl: `http://127.0.0.1:${(core.address() as AddressInfo).port}`,
    });
    try {
      const run = async (delivery: string, iccids: string[]) => {
        const c = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
          selection: { lines: iccids },
          options: { delivery, rate: 1000 },
          start: true,
        });
        await until(
          'both jobs exist',
          async () =>
            (await jobStore.list()).filter((j) => j.createdBy.includes(c.json.id as string)).length === 2,
        );
      };
      await run('poll', [f.entries[0].iccid, f.entries[1].iccid]);
      await run('push', [f.entries[2].iccid, f.entries[3].iccid]);
      await until('two pushes', async () => pushed.length >= 2);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        pushed.sort(),
        [f.entries[2].imsi, f.entries[3].imsi].sort().map((imsi) => `/core/v1/ues/${imsi}/push`),
      );
    } finally {
      await close();
      await f.close();
      core.close();
    }
  });

  it('a card that refuses ends its subscriber card-refused, naming the outcome', async () => {
    // The card already holds key version 5 of its first profile: version 2 is not newer (outcome 02).
    const f = await fleet('refused', 1, 2, 1, (image) => ({
      ...image,
      profiles: image.profiles.map((p, i) => (i === 0 ? { ...p, keyVersion: 5 } : p)),
    }));
    const { server, close } = await sqliteServer(f, { instance: 'one', tickMs: 20 });
    const ues = f.runUes(() => [server.ramUrl]);
    try {
      const c = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        selection: { batch: 'B0' },
        options: { rate: 1000, delivery: 'poll' },
        start: true,
      });
      const id = c.json.id as string;
      await until('the campaign completes', async () => {
        const s = await admin(server.adminUrl, f.operatorToken, 'GET', `/admin/v1/campaigns/${id}`);
        return s.json.state === 'completed';
      });
      const r = await admin(server.adminUrl, f.operatorToken, 'GET', `/admin/v1/campaigns/${id}/report`);
      const [refused, rotated] = r.json.members as Member[];
      assert.deepEqual([refused.state, refused.reason], ['failed', 'card-refused']);
      assert.match(refused.detail ?? '', /^card refused: outcome 02/);
      assert.deepEqual([rotated.state, rotated.keyVersion], ['rotated', 2]);
      assert.equal((await f.hss.getSubscriber(f.entries[0].imsi)).candidate, undefined);
    } finally {
      await ues.stop();
      await close();
      await f.close();
    }
  });

  it('killing the only instance and starting it again on the same file continues where it stopped', async () => {
    const f = await fleet('restart', 4, 3);
    const dir = mkdtempSync(join(tmpdir(), 'ltku-campaign-restart-'));
    const db = join(dir, 'server.sqlite');
    const start = async () => {
      const jobStore = new SqliteJobStore(db);
      const campaignStore = new SqliteCampaignStore(db);
      const server = await f.server({ jobStore, campaignStore, instance: 'one', tickMs: 20, leaseMs: 200 });
      return { jobStore, campaignStore, server };
    };
    let s = await start();
    let ramUrl = s.server.ramUrl;
    const ues = f.runUes(() => (ramUrl === '' ? [] : [ramUrl]));
    try {
      const c = await admin(s.server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
        selection: { imsiRange: { first: '001010000000000', last: '001019999999999' } },
        options: { rate: 10, concurrency: 2, delivery: 'poll' },
        start: true,
      });
      const id = c.json.id as string;
      const done = async () =>
        (await admin(s.server.adminUrl, f.operatorToken, 'GET', `/admin/v1/campaigns/${id}`))
          .json as unknown as Status;
      await until('a few rotated', async () => (await done()).counts.rotated >= 3);
      // The crash: the database goes from under the running instance, then the instance.
      ramUrl = '';
      await s.campaignStore.close();
      await s.jobStore.close();
      await s.server.close().catch(() => {});
      s = await start();
      ramUrl = s.server.ramUrl;
      await until(
        'the campaign completes after the restart',
        async () => (await done()).state === 'completed',
      );
      const members = await report(s.server.adminUrl, f.operatorToken, id);
      assert.equal(members.length, 12);
      for (const m of members) assert.deepEqual([m.state, m.keyVersion], ['rotated', 2], m.iccid);
      const jobs = await s.jobStore.list({ limit: 100 });
      assert.equal(jobs.length, 12, 'one job per member across the restart');
      for (const card of f.cards) for (const p of card.card.image.profiles) assert.equal(p.keyVersion, 2);
    } finally {
      await ues.stop();
      await s.server.close();
      await s.campaignStore.close();
      await s.jobStore.close();
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

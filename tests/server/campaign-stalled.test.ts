// Issue 11 review F2, DESIGN.md 7, 8: whoever knows a few EIDs can fail their RAM sessions before the card
// authenticates, again and again. That never ends a member (its job stays pending for the real card), and since
// F2 it no longer stops the campaign: once a job's run of such failures raises the alarm, its member is `stalled`
// and holds no concurrency slot, so the campaign feeds the others to completion. The real card still rotates a
// stalled member; an authenticated session makes it open again; the operator's cancel ends one never finished.
// SQLite and PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeResponseScript } from '../../src/iso7816/index.js';
import type { Clock } from '../../src/ports/index.js';
import {
  DEFAULT_ATTEMPT_POLICY,
  PostgresJobStore,
  SessionError,
  SqliteJobStore,
  openJobStore,
  type JobStore,
} from '../../src/server/index.js';
import {
  SqliteCampaignStore,
  openCampaignStore,
  type CampaignStore,
} from '../../src/server/campaign/index.js';
import { progressLine, type CampaignJson } from '../../src/cli/commands/campaign/support/render.js';
import { RAM_HEADERS, RESPONSE_SCRIPT_TYPE } from './support/world.js';
import { admin, fleet, until, type Fleet } from './support/campaign-fleet.js';
import { PG_BASE, pgSkip } from './support/pg.js';

/** What a forger who knows only the EID answers to script 1: SELECT ISD failed (before any authentication). */
const BOGUS = encodeResponseScript([{ data: new Uint8Array(0), sw: 0x6a82 }]);
const PAST_ANY_BACKOFF_MS = 5 * 60_000 + 1_000;
const ALARM = DEFAULT_ATTEMPT_POLICY.alarmAfter;
const CARDS = 6;

interface Member {
  seq: number;
  iccid: string;
  state: string;
  keyVersion?: number;
  reason?: string;
  detail?: string;
  attempts: number;
}
interface Status {
  state: string;
  done: number;
  finishedAt?: string;
  counts: Record<string, number>;
}

/** The real time, moved on by the test past each backoff (the jobs' and the feeder's clock). */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
  };
}

/** One forged session: opened with the card's EID, answered with garbage before the card could authenticate. */
async function forge(ramUrl: string, eid: string): Promise<void> {
  const headers = { ...RAM_HEADERS, 'x-admin-from': `//se-id/eid/${eid}` };
  const opened = await fetch(ramUrl, { method: 'POST', headers });
  await opened.arrayBuffer();
  assert.equal(opened.status, 200, 'the job is offered to any session that asks (past its backoff)');
  const next = new URL(opened.headers.get('x-admin-next-uri') as string, ramUrl).toString();
  const answered = await fetch(next, {
    method: 'POST',
    headers: { ...headers, 'content-type': RESPONSE_SCRIPT_TYPE },
    body: BOGUS,
  });
  await answered.arrayBuffer();
  assert.equal(answered.status, 204);
}

interface Backend {
  readonly name: string;
  readonly skip: string | false;
  stores(): Promise<{ jobStore: JobStore; campaignStore: CampaignStore; drop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    skip: false,
    stores: async () => ({
      jobStore: new SqliteJobStore(':memory:'),
      campaignStore: new SqliteCampaignStore(':memory:'),
      drop: async () => {},
    }),
  },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    stores: async () => {
      const url = `${PG_BASE}?schema=campaign_stalled_${process.pid}`;
      return {
        jobStore: await openJobStore(url),
        campaignStore: await openCampaignStore(url),
        drop: async () => {
          const cleanup = new PostgresJobStore(url);
          await cleanup.dropSchema();
          await cleanup.close();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`a campaign under forged sessions (${backend.name})`, { skip: backend.skip }, () => {
    it(
      'stalled members give up their slots; the others complete; the real card still rotates',
      { timeout: 180_000 },
      async () => {
        const f = await fleet(`stalled-${backend.name}`, CARDS, 1);
        const { jobStore, campaignStore, drop } = await backend.stores();
        const clock = movableClock();
        const server = await f.server({ jobStore, campaignStore, instance: 'one', tickMs: 20, clock });
        const ues: ReturnType<Fleet['runUes']>[] = [];
        try {
          const call = (method: string, path: string) =>
            admin(server.adminUrl, f.operatorToken, method, path);
          const created = await admin(server.adminUrl, f.operatorToken, 'POST', '/admin/v1/campaigns', {
            selection: { lines: f.entries.map((e) => e.iccid) },
            options: { rate: 50, concurrency: 2, delivery: 'poll' },
            start: true,
          });
          assert.equal(created.status, 201, JSON.stringify(created.json));
          const id = created.json.id as string;
          const status = async () =>
            (await call('GET', `/admin/v1/campaigns/${id}`)).json as unknown as Status;
          const members = async () =>
            (await call('GET', `/admin/v1/campaigns/${id}/report?limit=100`)).json.members as Member[];
          const jobOf = async (card: number) =>
            (
              await jobStore.byIccids(
                [f.entries[card].iccid],
                ['pending', 'staged', 'sent', 'applied', 'completed', 'failed', 'cancelled'],
              )
            )[0];
          const hasJob = async (card: number) => (await jobOf(card)) !== undefined;
          const eid = (card: number) => f.cards[card].image.eid;
          // Fails the jobs of `cards` up to the alarm, each past the backoff the previous failure imposed.
          const stall = async (cards: number[]) => {
            for (let i = 0; i < ALARM; i++) {
              for (const card of cards) await forge(server.ramUrl, eid(card));
              clock.advance(PAST_ANY_BACKOFF_MS);
            }
          };

          // No UE yet: members 0 and 1 take both slots, and the forger fails their sessions up to the alarm.
          await until('members 0 and 1 have their jobs', async () => (await hasJob(0)) && (await hasJob(1)));
          await stall([0, 1]);
          // The campaign goes on: members 2 and 3 are fed although 0 and 1 never ended.
          await until('members 2 and 3 are fed', async () => (await hasJob(2)) && (await hasJob(3)));
          // The forger stalls member 2 too: member 4 takes its slot.
          await stall([2]);
          await until('member 4 is fed', () => hasJob(4));
          // The real cards of members 3, 4, 5 answer: the campaign feeds and rotates them all.
          ues.push(
            f.runUes(
              () => [server.ramUrl],
              (card) => card >= 3,
            ),
          );
          await until('members 3, 4, 5 are rotated', async () => (await status()).counts.rotated === 3);
          const running = await status();
          assert.equal(running.state, 'running', 'the stalled members are not final');
          assert.deepEqual(
            ['waiting', 'feeding', 'open', 'stalled', 'rotated', 'failed', 'cancelled'].map(
              (s) => running.counts[s],
            ),
            [0, 0, 0, 3, 3, 0, 0],
          );
          const seen = await members();
          for (const card of [0, 1, 2]) {
            const m = seen[card];
            assert.equal(m.state, 'stalled', `member ${card}`);
            assert.equal(m.attempts, ALARM);
            assert.match(m.detail ?? '', new RegExp(`^${ALARM} failed sessions before authentication`));
            assert.equal(m.reason, undefined);
            const job = await jobOf(card);
            assert.deepEqual(
              [job.state, job.consecutiveFailures],
              ['pending', ALARM],
              `job of member ${card}`,
            );
          }
          for (const card of [3, 4, 5])
            assert.deepEqual([seen[card].state, seen[card].keyVersion], ['rotated', 2]);

          // The real card of stalled member 0 comes (past its backoff): it rotates, and the member ends rotated.
          ues.push(
            f.runUes(
              () => [server.ramUrl],
              (card) => card === 0,
            ),
          );
          await until('member 0 is rotated', async () => (await members())[0].state === 'rotated');
          assert.equal((await members())[0].keyVersion, 2);
          assert.equal(f.cards[0].card.image.profiles[0].keyVersion, 2);

          // Member 1's card authenticates in a session that ends before BF70: the run of failures ended, and the
          // member holds a slot again.
          const claimed = await server.jobs.claim(eid(1), 'session-authenticated');
          assert.ok(claimed !== undefined);
          await claimed.hooks.authenticated?.({} as never);
          const error = new SessionError('abandoned', 'the UE went away');
          await claimed.finish({ kind: 'failed', error, requestSent: false, authenticated: true });
          await until('member 1 is open again', async () => (await members())[1].state === 'open');
          assert.equal((await members())[1].detail, undefined);

          // The operator cancels: the open member and the stalled one end cancelled, their jobs too.
          const cancelled = await call('POST', `/admin/v1/campaigns/${id}/cancel`);
          assert.equal(cancelled.json.state, 'cancelled');
          await until('every member is final', async () => (await status()).done === CARDS);
          const end = await members();
          assert.deepEqual(
            end.map((m) => [m.state, m.reason ?? null]),
            [
              ['rotated', null],
              ['cancelled', 'cancelled'],
              ['cancelled', 'cancelled'],
              ['rotated', null],
              ['rotated', null],
              ['rotated', null],
            ],
          );
          assert.equal((await jobOf(1)).state, 'cancelled');
          assert.equal((await jobOf(2)).state, 'cancelled');
          await until('the campaign is finished', async () => (await status()).finishedAt !== undefined);
          // Exactly once: one job per member.
          assert.equal((await jobStore.list({ limit: 100 })).length, CARDS);
          for (const card of [1, 2]) assert.equal(f.cards[card].card.image.profiles[0].keyVersion, 1);
        } finally {
          for (const u of ues) await u.stop();
          await server.close();
          await jobStore.close();
          await campaignStore.close();
          await drop();
          await f.close();
        }
      },
    );
  });
}

describe('ltku campaign status with stalled members', () => {
  it('prints them on the progress line (and nothing more when there are none, or an older server)', () => {
    const counts = { waiting: 1, feeding: 0, open: 2, rotated: 3, failed: 0, cancelled: 0 };
    const c: CampaignJson = {
      id: '3f0c9a1b2c3d4e5f',
      name: 'lot 7',
      state: 'running',
      total: 9,
      done: 3,
      rate: 1,
      counts: { ...counts, stalled: 3 },
      options: { rate: 10, concurrency: 2, maxAttempts: 10, delivery: 'poll' },
    };
    assert.match(progressLine(c), /open 2 {2}stalled 3 {2}waiting 1/);
    assert.doesNotMatch(progressLine({ ...c, counts: { ...counts, stalled: 0 } }), /stalled/);
    assert.match(progressLine({ ...c, counts }), /open 2 {2}waiting 1/);
  });
});

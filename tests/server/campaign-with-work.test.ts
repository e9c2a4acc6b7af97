// Issue 11: a feeder's tick reads only the campaigns with work (CampaignStore.withWork), on both drivers:
// completed and finished campaigns, which pile up over a deployment's life, are never read by the tick.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CAMPAIGN_OPTIONS,
  PostgresCampaignStore,
  openCampaignStore,
  type CampaignRecord,
  type CampaignState,
  type CampaignStore,
} from '../../src/server/campaign/index.js';
import { PG_BASE, pgSkip } from './support/pg.js';

const AT = '2026-12-01T00:00:00.000Z';

function campaign(id: string, state: CampaignState, finished: boolean, createdAt: string): CampaignRecord {
  return {
    id,
    // A name that looks like the finishedAt key, with a NUL PostgreSQL's JSON operators refuse: read as text.
    name: `${id} "finishedAt":"\u0000`,
    selection: { kind: 'batch', batch: 'b' },
    options: DEFAULT_CAMPAIGN_OPTIONS,
    state,
    total: 0,
    createdBy: 'operator',
    createdAt,
    activeMs: 0,
    ...(finished ? { finishedAt: AT } : {}),
    bucket: { tokens: 0, at: 0 },
    history: [{ state, at: AT, detail: 'test' }],
    revision: 0,
    updatedAt: AT,
  };
}

/** One campaign per state (cancelled twice: still settling, and finished), created a minute apart. */
const CASES: [CampaignState, boolean, boolean][] = [
  // state, finishedAt written, has work
  ['draft', false, true],
  ['created', false, false],
  ['running', false, true],
  ['paused', false, true],
  ['cancelled', false, true],
  ['cancelled', true, false],
  ['completed', true, false],
];

async function checkWithWork(store: CampaignStore): Promise<void> {
  for (const [i, [state, finished]] of CASES.entries()) {
    const createdAt = new Date(Date.parse(AT) + i * 60_000).toISOString();
    await store.create(campaign(`c${i}-${state}`, state, finished, createdAt), []);
  }
  const expected = CASES.flatMap(([state, , work], i) => (work ? [`c${i}-${state}`] : [])).reverse();
  assert.deepEqual(
    (await store.withWork()).map((c) => c.id),
    expected,
  );
  assert.equal((await store.list()).length, CASES.length);
}

describe('the campaigns a feeder tick reads', () => {
  it('SQLite: drafts, running, paused and unfinished cancelled ones, newest first', async () => {
    const store = await openCampaignStore(':memory:');
    try {
      await checkWithWork(store);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL: the same', { skip: pgSkip }, async () => {
    const store = await openCampaignStore(`${PG_BASE}?schema=campaign_with_work_${process.pid}`);
    try {
      await checkWithWork(store);
    } finally {
      await (store as PostgresCampaignStore).dropSchema();
      await store.close();
    }
  });
});

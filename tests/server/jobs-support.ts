// What the JobService tests of issue 11 share (round trips, batches, merged session writes): inventory entries,
// an in-memory HSS role with candidates (stage, commit, abort by transaction, DESIGN.md 6), a counting proxy and
// the service wired to them.
import { fromHex, toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import assert from 'node:assert/strict';
import {
  HssRoleError,
  Inventory,
  JobService,
  type CandidateView,
  type CardAuthenticated,
  type ClaimedJob,
  type HssRole,
  type HssSubscriber,
  type InventoryEntry,
  type JobRecord,
  type JobStore,
  type KeyTransition,
} from '../../src/server/index.js';

export type Counts = Record<string, number>;

/** `target` with every method call counted by name in `counts` (the methods run on the target itself). */
export function counting<T extends object>(target: T, counts: Counts): T {
  return new Proxy(target, {
    get(t, p) {
      const v: unknown = Reflect.get(t, p, t);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        counts[String(p)] = (counts[String(p)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

export function clear(...counts: Counts[]): void {
  for (const c of counts) for (const k of Object.keys(c)) delete c[k];
}

/** Profile i of card i (one profile per card). */
export function entry(i: number): InventoryEntry {
  return {
    eid: String(i).padStart(32, '8'),
    iccid: `8949${String(i).padStart(15, '0')}`,
    imsi: `00101${String(i).padStart(10, '0')}`,
    algorithm: 'milenage',
  };
}

/** What the session's hooks are told: only the suite's names reach the job's history. */
export const AUTHENTICATED = {
  suite: { kid: 1, kvn: 0x30, curve: { name: 'P-256' }, aesKeyLength: 16 },
  certificate: {},
} as unknown as CardAuthenticated;

/** A session of the card `eid` that is offered a job and in which the card authenticated (the hook has run). */
export async function authenticatedClaim(
  jobs: JobService,
  eid: string,
  sessionId: string,
): Promise<ClaimedJob> {
  const claimed = await jobs.claim(eid, sessionId);
  assert.ok(claimed, `${sessionId} is offered the job`);
  await claimed.hooks.authenticated?.(AUTHENTICATED);
  return claimed;
}

/**
 * ltku's HSS as the server sees it, in memory: every IMSI of `known` at version 1; one candidate per IMSI,
 * staged idempotently per transaction (409 for another), committed (a no-op once committed), aborted by
 * transaction. `before` runs first in each call (a test's race or fault).
 */
export class CandidateHss implements HssRole {
  readonly name = 'test HSS';
  readonly hasCandidates = true;
  readonly active = new Map<string, number>();
  readonly candidates = new Map<string, { version: number; tx: string }>();
  /** The transaction that made each IMSI's active keys (hex), once one did. */
  readonly activeTx = new Map<string, string>();
  before: Partial<Record<'stage' | 'commit' | 'abort', (imsi: string) => Promise<void>>> = {};

  constructor(known: readonly string[]) {
    for (const imsi of known) this.active.set(imsi, 1);
  }

  async subscriber(imsi: string): Promise<HssSubscriber> {
    const version = this.active.get(imsi);
    if (version === undefined) throw new HssRoleError('unknown-subscriber', `unknown IMSI ${imsi}`);
    const tx = this.activeTx.get(imsi);
    return {
      imsi,
      algorithm: 'milenage',
      activeVersion: version,
      ...(tx === undefined ? {} : { activeTransactionId: Uint8Array.from(Buffer.from(tx, 'hex')) }),
      ...this.#candidate(imsi),
    };
  }

  async subscribers(imsis: readonly string[]): Promise<Map<string, HssSubscriber>> {
    const found = new Map<string, HssSubscriber>();
    for (const imsi of imsis) if (this.active.has(imsi)) found.set(imsi, await this.subscriber(imsi));
    return found;
  }

  #candidate(imsi: string): Pick<CandidateView, 'candidate'> {
    const c = this.candidates.get(imsi);
    if (c === undefined) return {};
    const transactionId = Uint8Array.from(Buffer.from(c.tx, 'hex'));
    return { candidate: { version: c.version, transactionId, stagedAt: new Date(0) } };
  }

  async stage(imsi: string, t: KeyTransition): Promise<void> {
    await this.before.stage?.(imsi);
    const tx = toHex(t.transactionId);
    const c = this.candidates.get(imsi);
    if (c !== undefined && c.tx !== tx) throw new HssRoleError('conflict', `IMSI ${imsi}: another candidate`);
    this.candidates.set(imsi, { version: t.keyVersion, tx });
  }

  async commit(imsi: string, t: KeyTransition): Promise<void> {
    await this.before.commit?.(imsi);
    const c = this.candidates.get(imsi);
    if (c?.tx === toHex(t.transactionId)) {
      this.active.set(imsi, c.version);
      this.activeTx.set(imsi, c.tx);
      this.candidates.delete(imsi);
    } else if (this.active.get(imsi) !== t.keyVersion) {
      throw new HssRoleError('failed', `IMSI ${imsi}: no such candidate`);
    }
  }

  async abort(imsi: string, transactionId: Uint8Array): Promise<void> {
    await this.before.abort?.(imsi);
    if (this.candidates.get(imsi)?.tx === toHex(transactionId)) this.candidates.delete(imsi);
  }

  async listCandidates(page: { limit: number; offset: number }): Promise<CandidateView[]> {
    return [...this.candidates.keys()]
      .slice(page.offset, page.offset + page.limit)
      .map((imsi) => ({ imsi, ...this.#candidate(imsi) }));
  }

  async ready(): Promise<void> {}
}

export const T0 = new Date('2030-01-01T10:00:00Z');

export function jobService(
  store: JobStore,
  hss: HssRole,
  entries: readonly InventoryEntry[],
  clock = new FixedClock(T0),
  seed = 'jobs',
): JobService {
  return new JobService({
    store,
    inventory: new Inventory(entries),
    hss,
    kek: new Uint8Array(32).fill(1),
    rng: new SeededRandom(seed),
    clock,
    logger: silentLogger,
  });
}

/** A job record as a store holds it (pending, no keys worth the name), with `fields` over the defaults. */
export function jobRecord(
  id: string,
  iccid: string,
  createdAt: string,
  fields: Partial<JobRecord> = {},
): JobRecord {
  return {
    id,
    iccid,
    imsi: '001010000000001',
    eid: '89049032123451234512345678901235',
    algorithm: 'milenage',
    keyVersion: 2,
    transactionId: fromHex(id.padEnd(32, '0')),
    sealedKeys: new Uint8Array(48),
    kLength: 16,
    state: 'pending',
    history: [{ state: 'pending', at: createdAt }],
    securityAlarm: false,
    sessions: 0,
    createdBy: 'operator',
    attempts: 0,
    consecutiveFailures: 0,
    revision: 0,
    createdAt,
    updatedAt: createdAt,
    ...fields,
  };
}

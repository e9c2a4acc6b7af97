// DESIGN.md 7: the bookkeeping of a failed attempt (backoff, alarm, the stored error text).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTEMPT_ERROR_MAX,
  DEFAULT_ATTEMPT_POLICY,
  attemptDue,
  failedAttempt,
} from '../../src/server/attempt-backoff.js';

const AT = '2026-12-01T00:00:00.000Z';
const FRESH = { attempts: 0, consecutiveFailures: 0 };

describe('failed attempts (DESIGN.md 7)', () => {
  it('doubles the backoff from the first to the cap and raises the alarm every alarmAfter-th failure', () => {
    let job: Parameters<typeof failedAttempt>[1] = FRESH;
    const waits: number[] = [];
    const alarms: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const { fields, alarm } = failedAttempt(DEFAULT_ATTEMPT_POLICY, job, AT, 'refused');
      waits.push(Date.parse(fields.nextAttemptAt!) - Date.parse(AT));
      if (alarm) alarms.push(i);
      job = fields;
    }
    assert.deepEqual(waits.slice(0, 4), [1_000, 2_000, 4_000, 8_000]);
    assert.equal(Math.max(...waits), DEFAULT_ATTEMPT_POLICY.maxBackoffMs);
    assert.deepEqual(alarms, [10, 20]);
    assert.equal(job.attempts, 20);
    assert.equal(attemptDue(job, AT), false);
    assert.equal(attemptDue(job, job.nextAttemptAt!), true);
  });

  it('stores at most ATTEMPT_ERROR_MAX units of the error, never half a surrogate pair', () => {
    const cut = (error: string) =>
      failedAttempt(DEFAULT_ATTEMPT_POLICY, FRESH, AT, error).fields.lastAttemptError!;
    const pairAcross = `${'x'.repeat(ATTEMPT_ERROR_MAX - 1)}\u{1F600}tail`;
    assert.equal(cut(pairAcross), 'x'.repeat(ATTEMPT_ERROR_MAX - 1));
    assert.equal(cut('y'.repeat(ATTEMPT_ERROR_MAX + 5)), 'y'.repeat(ATTEMPT_ERROR_MAX));
    const pairInside = `${'x'.repeat(ATTEMPT_ERROR_MAX - 2)}\u{1F600}tail`;
    assert.equal(cut(pairInside), `${'x'.repeat(ATTEMPT_ERROR_MAX - 2)}\u{1F600}`);
    // Its JSON is well formed UTF-16: no lone surrogate escape a database's JSON parser would refuse.
    assert.doesNotMatch(JSON.stringify(cut(pairAcross)), /\\ud[89ab]/i);
  });
});

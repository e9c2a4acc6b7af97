// `ltku demo --json` (= npm start with JSON output): the whole flow, steps 1-7, must succeed and say so.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

interface DemoReport {
  ok: boolean;
  failedStep?: string;
  reason?: string;
  steps: { step: string; ok: boolean }[];
  keyUpdate: { posts: number; apdus: number; state: string; hssActiveVersion: number };
}

const EXPECTED_STEPS = [
  'setup',
  'start',
  'attach-old',
  'order',
  'steps-1-5',
  'step-6',
  'step-7',
  'clone',
  'other-profile',
];

async function demo(args: string[]): Promise<DemoReport> {
  const r = await runCli(['demo', '--json', ...args]);
  const report = JSON.parse(r.stdout) as DemoReport;
  assert.equal(r.code, report.ok ? 0 : 1, 'exit code follows the outcome');
  return report;
}

describe('ltku demo', { timeout: 120_000 }, () => {
  it('runs the seven steps on embedded defaults (P-256, Milenage, SQLite)', async () => {
    const report = await demo([]);
    assert.equal(report.ok, true, `${report.failedStep}: ${report.reason}`);
    assert.deepEqual(
      report.steps.map((s) => s.step),
      EXPECTED_STEPS,
    );
    assert.ok(report.steps.every((s) => s.ok));
    assert.ok(
      report.keyUpdate.posts <= 4,
      `a key update needs at most 3 POSTs after the first (${report.keyUpdate.posts})`,
    );
    assert.equal(report.keyUpdate.state, 'completed');
    assert.equal(report.keyUpdate.hssActiveVersion, 2);
  });

  it('runs with TUAK on brainpoolP384r1 (certificates long enough for GET RESPONSE)', async () => {
    const report = await demo(['--alg', 'tuak', '--curve', 'brainpoolP384r1']);
    assert.equal(report.ok, true, `${report.failedStep}: ${report.reason}`);
    assert.equal(report.steps.length, EXPECTED_STEPS.length);
  });

  it('refuses a --db that is not a PostgreSQL URL with a usage error', async () => {
    const r = await runCli(['demo', '--db', 'mysql://x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--db/);
  });
});

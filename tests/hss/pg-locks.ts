// PostgreSQL race tests: wait until the store's statement is blocked on a row lock the test's own client holds.
import type pg from 'pg';

const POLLS = 500;
const POLL_MS = 10;

/**
 * Until a statement whose text is LIKE `pattern` waits for a lock `holder` holds. `holder` is inside a
 * transaction, where PostgreSQL keeps its first pg_stat_activity snapshot: each poll clears it.
 */
export async function waitForLockWait(holder: pg.Client, pattern: string): Promise<void> {
  for (let i = 0; i < POLLS; i++) {
    await holder.query('SELECT pg_stat_clear_snapshot()');
    const r = await holder.query(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid)) AND query LIKE $1`,
      [pattern],
    );
    if (Number(r.rows[0].n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`no statement like ${pattern} waited for the test's lock`);
}

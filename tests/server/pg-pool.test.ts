// DESIGN.md 8: a store closed while its calls wait for a connection (a server instance crashing or stopping under
// load) fails those calls instead of leaving them pending forever (pg's Pool never serves its queue after end()).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StorePool } from '../../src/server/pg-pool.js';
import { PG_BASE, pgSkip } from './support/pg.js';

describe('a store pool closed under waiting calls', { skip: pgSkip }, () => {
  it('fails the waiting calls, ends once the busy connection is released, refuses later calls', async () => {
    const pool = new StorePool({ connectionString: PG_BASE, max: 1 }, 'the test store');
    const busy = await pool.connect();
    let waitingSettled = false;
    const waiting = pool.query('SELECT 1 AS one').finally(() => {
      waitingSettled = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(waitingSettled, false, 'the second call waits for the only connection');
    let ended = false;
    const end = pool.end().then(() => {
      ended = true;
    });
    await assert.rejects(waiting, /the test store is closed/);
    // The connection in use finishes its work, then the pool ends.
    assert.equal((await busy.query('SELECT 2 AS two')).rows[0].two, 2);
    assert.equal(ended, false, 'the pool waits for the connection in use');
    busy.release();
    await end;
    await assert.rejects(pool.query('SELECT 1'), /the test store is closed/);
    await assert.rejects(pool.connect(), /the test store is closed/);
    await pool.end(); // a second close is a no-op
  });
});

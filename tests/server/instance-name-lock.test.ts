// DESIGN.md 8 / issue 11: two live instances on one PostgreSQL database never share a name (each would take the
// other's campaign claims for its own); the name is free again once its holder ends, and a name is per schema.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InstanceNameLock } from '../../src/server/instance-name-lock.js';
import { PG_BASE, pgSkip } from './support/pg.js';

describe('instance names on PostgreSQL', { skip: pgSkip }, () => {
  it('a live name is refused to a second instance, free after release, and per schema', async () => {
    const db = `${PG_BASE}?schema=names_${process.pid}`;
    const name = `https://ram-a.example.net/${process.pid}`;
    const a = await InstanceNameLock.acquire(db, name);
    const held: InstanceNameLock[] = [a];
    try {
      await assert.rejects(
        InstanceNameLock.acquire(db, name),
        new RegExp(
          `another live server instance is named "${name}" on this database \\(schema names_\\d+\\)`,
        ),
      );
      held.push(await InstanceNameLock.acquire(db, `${name}-b`));
      held.push(await InstanceNameLock.acquire(`${PG_BASE}?schema=other_${process.pid}`, name));
      await a.release();
      held.push(await InstanceNameLock.acquire(db, name));
    } finally {
      for (const l of held) await l.release();
    }
  });
});

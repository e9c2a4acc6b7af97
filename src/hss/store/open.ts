// Picks the driver from the database setting: a postgres:// URL, or else a SQLite file path.
import { PostgresSubscriberStore } from './postgres.js';
import { SqliteSubscriberStore } from './sqlite.js';
import type { SubscriberStore } from './store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** Opens (and migrates) the store. */
export async function openStore(db: string): Promise<SubscriberStore> {
  const store = isPostgresUrl(db) ? new PostgresSubscriberStore(db) : new SqliteSubscriberStore(db);
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}

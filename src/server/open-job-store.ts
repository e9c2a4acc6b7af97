// Picks a store driver from the server's database setting: a postgres:// URL, or else a SQLite file (or
// ':memory:'). The key-update jobs, the card-management jobs and the campaigns all live in the one database.
import { PostgresJobStore } from './job-store-postgres.js';
import { SqliteJobStore, type JobStore } from './job-store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** A PostgreSQL store: created without I/O, its tables made (idempotent) by migrate(). */
interface MigratingStore {
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** The store for `db`: SQLite opened (and migrated) by its constructor; PostgreSQL migrated here, closed on failure. */
export async function openStore<S, P extends S & MigratingStore>(
  db: string,
  sqlite: (file: string) => S,
  postgres: (url: string) => P,
): Promise<S> {
  if (!isPostgresUrl(db)) return sqlite(db);
  const store = postgres(db);
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}

export function openJobStore(db: string): Promise<JobStore> {
  return openStore<JobStore, PostgresJobStore>(
    db,
    (f) => new SqliteJobStore(f),
    (u) => new PostgresJobStore(u),
  );
}

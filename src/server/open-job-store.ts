// Picks the job store driver from the database setting: a postgres:// URL, or else a SQLite file (or ':memory:').
import { PostgresJobStore } from './job-store-postgres.js';
import { SqliteJobStore, type JobStore } from './job-store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export async function openJobStore(db: string): Promise<JobStore> {
  if (!isPostgresUrl(db)) return new SqliteJobStore(db);
  const store = new PostgresJobStore(db);
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}

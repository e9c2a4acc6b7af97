// Picks the card-management job store from the server's database setting (the same as the key-update jobs').
import { openStore } from '../open-job-store.js';
import { PostgresCardJobStore } from './store-postgres.js';
import { SqliteCardJobStore, type CardJobStore } from './store.js';

export function openCardJobStore(db: string): Promise<CardJobStore> {
  return openStore<CardJobStore, PostgresCardJobStore>(
    db,
    (f) => new SqliteCardJobStore(f),
    (u) => new PostgresCardJobStore(u),
  );
}

// The PostgreSQL the server tests run against (LTKU_TEST_PG), or why they are skipped.
import { PostgresJobStore, openJobStore } from '../../../src/server/index.js';

export const PG_BASE = process.env.LTKU_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export const pgSkip = await openJobStore(`${PG_BASE}?schema=server_probe_${process.pid}`).then(
  async (s) => {
    await (s as PostgresJobStore).dropSchema();
    await s.close();
    return false as const;
  },
  (e: Error) => `PostgreSQL at ${PG_BASE} unreachable (${e.message})`,
);

// The PostgreSQL the e2e tests may use (LTKU_TEST_PG, default the local trust-auth `test` database), each test in a
// schema of its own that it drops at the end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_BASE = process.env.LTKU_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema name for one test, e.g. ltku_e2e_<pid>_<hex>. */
export function schemaName(prefix = 'ltku_e2e'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The --db URL of a schema. */
export function pgUrl(schema: string): string {
  return `${PG_BASE}?schema=${schema}`;
}

export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_BASE });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
}

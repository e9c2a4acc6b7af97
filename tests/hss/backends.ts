// The two store backends every HSS suite runs against: a SQLite file in a temporary directory, and PostgreSQL
// (127.0.0.1:5432, database test) in a schema of its own that is dropped at the end. PostgreSQL is skipped, with
// a message saying so, only when it cannot be reached.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import {
  openStore,
  parsePostgresUrl,
  PostgresSubscriberStore,
  type SubscriberStore,
} from '../../src/hss/store/index.js';

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this backend is skipped, if it is. */
  readonly skip: string | false;
  /** A database setting (file path or URL) of a fresh, empty database. */
  newDatabase(): string;
  open(): Promise<SubscriberStore>;
  /** Removes everything newDatabase/open created. */
  cleanup(): Promise<void>;
}

const PG_BASE = process.env.LTKU_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function pgReachable(): Promise<string | false> {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return false;
  } catch (e) {
    return `PostgreSQL at ${PG_BASE} unreachable (${(e as Error).message}); PostgreSQL tests skipped`;
  } finally {
    await client.end().catch(() => {});
  }
}

const pgSkip = await pgReachable();
if (pgSkip) process.stderr.write(`# ${pgSkip}\n`);

function sqliteBackend(): Backend {
  let dir: string | undefined;
  let n = 0;
  return {
    name: 'sqlite',
    skip: false,
    newDatabase() {
      dir ??= mkdtempSync(join(tmpdir(), 'ltku-hss-'));
      return join(dir, `hss-${n++}.sqlite`);
    },
    open() {
      return openStore(this.newDatabase());
    },
    async cleanup() {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    skip: pgSkip,
    newDatabase() {
      const schema = `hss_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      return `${PG_BASE}?schema=${schema}`;
    },
    open() {
      return openStore(this.newDatabase());
    },
    async cleanup() {
      for (const schema of schemas.splice(0)) {
        const s = new PostgresSubscriberStore(`${PG_BASE}?schema=${schema}`);
        await s.dropSchema();
        await s.close();
      }
    },
  };
}

export function backends(): Backend[] {
  return [sqliteBackend(), postgresBackend()];
}

/**
 * Reads a test database directly (what the store does not expose, e.g. row counts), with $1.. placeholders on both
 * backends. Only for assertions: the code under test never goes this way.
 */
export async function queryDatabase(
  db: string,
  sql: string,
  params: readonly unknown[],
): Promise<Record<string, unknown>[]> {
  if (!/^postgres/.test(db)) {
    const conn = new Database(db, { readonly: true });
    try {
      return conn.prepare(sql.replace(/\$[0-9]+/g, '?')).all(...params) as Record<string, unknown>[];
    } finally {
      conn.close();
    }
  }
  const { connectionString, schema } = parsePostgresUrl(db);
  const client = new pg.Client({
    connectionString,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  await client.connect();
  try {
    return (await client.query(sql, [...params])).rows;
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL database of its own on the test server, with `ALTER DATABASE ... SET` defaults (what an operator's
 * database may have); its URL (with a schema) and how to drop it.
 */
export async function scratchPostgresDatabase(
  settings: Readonly<Record<string, string>>,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ltku_hss_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    for (const [setting, value] of Object.entries(settings))
      await admin.query(`ALTER DATABASE ${name} SET ${setting} = ${admin.escapeLiteral(value)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_BASE);
  url.pathname = `/${name}`;
  url.searchParams.set('schema', 'hss');
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

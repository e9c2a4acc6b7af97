// The ordered list of schema migrations; each store applies the ones it has not recorded in hss_schema_migrations.
import type { Dialect } from './dialect.js';
import * as m001 from './001-subscribers.js';
import * as m002 from './002-final-rotation.js';

export interface Migration {
  readonly id: number;
  readonly name: string;
  sql(d: Dialect): string;
}

export const MIGRATIONS: readonly Migration[] = [m001, m002];

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS hss_schema_migrations (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`;

export { SQLITE, POSTGRES, type Dialect } from './dialect.js';

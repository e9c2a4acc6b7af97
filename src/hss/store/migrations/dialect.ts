// The column types that differ between SQLite and PostgreSQL; everything else in the migrations is shared SQL.

export interface Dialect {
  readonly bytes: string;
  readonly int64: string;
  readonly timestamp: string;
  readonly serialPrimaryKey: string;
}

export const SQLITE: Dialect = {
  bytes: 'BLOB',
  int64: 'INTEGER',
  timestamp: 'TEXT', // ISO 8601, UTC
  serialPrimaryKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
};

export const POSTGRES: Dialect = {
  bytes: 'BYTEA',
  int64: 'BIGINT',
  timestamp: 'TIMESTAMPTZ',
  serialPrimaryKey: 'BIGSERIAL PRIMARY KEY',
};

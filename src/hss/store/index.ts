export * from './store.js';
export * from './open.js';
export { SqliteSubscriberStore } from './sqlite.js';
export { PostgresSubscriberStore, parsePostgresUrl, type PostgresOptions } from './postgres.js';
export { nextSqnSql } from './sql.js';

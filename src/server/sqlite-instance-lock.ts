// DESIGN.md 5, 8: SQLite is the embedded database of ONE server instance; several instances share PostgreSQL.
// A second instance on the same SQLite file is refused: the first holds an exclusive SQLite lock on a small
// file beside the database (`<db>.instance`), which the operating system drops when the process ends, however
// it ends (kill -9 included), so a restart never finds a stale lock.
import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ServerConfigError } from './errors.js';

export const INSTANCE_LOCK_SUFFIX = '.instance';
const HOLDER_SUFFIX = '.holder';

/** The holder of the lock, for the message a second instance gets. */
function holderOf(path: string): string {
  try {
    const h = JSON.parse(readFileSync(`${path}${HOLDER_SUFFIX}`, 'utf8')) as { pid?: number; since?: string };
    return typeof h.pid === 'number' ? ` (process ${h.pid}, since ${h.since ?? 'unknown'})` : '';
  } catch {
    return '';
  }
}

export class SqliteInstanceLock {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Takes the instance lock of the SQLite database `dbPath`, or throws a ServerConfigError saying who holds it. */
  static acquire(dbPath: string, now: Date = new Date()): SqliteInstanceLock {
    const path = `${dbPath}${INSTANCE_LOCK_SUFFIX}`;
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      // The first write takes the EXCLUSIVE lock; in this locking mode it is kept until the connection closes.
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
      db.transaction(() => {
        db?.exec('DELETE FROM holder');
        db?.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, now.toISOString());
      })();
    } catch (e) {
      db?.close();
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
        throw new ServerConfigError(
          `database ${dbPath} is in use by another ltku server instance${holderOf(path)}: SQLite serves one ` +
            'instance; stop that one, or share a PostgreSQL database between instances (--db postgres://...)',
        );
      throw new ServerConfigError(
        `database ${dbPath}: cannot take its instance lock ${path}: ${(e as Error).message}`,
      );
    }
    try {
      writeFileSync(
        `${path}${HOLDER_SUFFIX}`,
        JSON.stringify({ pid: process.pid, since: now.toISOString() }),
        {
          mode: 0o600,
        },
      );
    } catch {
      // only the message of a second instance would miss the holder
    }
    return new SqliteInstanceLock(db);
  }

  release(): void {
    if (this.#db.open) this.#db.close();
  }
}

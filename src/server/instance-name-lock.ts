// DESIGN.md 8: instances sharing one PostgreSQL database tell their campaign claims apart by name, and an instance
// restarted under its name takes its claims back at once. Two live instances under one name would each take the
// other's claims for its own, so the name is held: a session-level advisory lock on the name (within the
// database's schema), on a connection of its own kept for the process's life. PostgreSQL drops the lock when that
// connection ends, however the process ends (kill -9 included), so a restart never finds it stale.
import pg from 'pg';
import { ServerConfigError } from './errors.js';
import { splitUrl } from './job-store-postgres.js';

/** The advisory lock's key: a 64-bit hash of what names the instance (PostgreSQL's hashtextextended). */
const TRY_LOCK = 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held';

export class InstanceNameLock {
  readonly #client: pg.Client;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  /** Holds `name` on the database `url`, or throws a ServerConfigError when a live instance holds it. */
  static async acquire(url: string, name: string): Promise<InstanceNameLock> {
    const { connectionString, schema } = splitUrl(url);
    const client = new pg.Client({ connectionString, application_name: `ltku server ${name}`.slice(0, 63) });
    // A lost connection drops the lock; the process goes on (its claims stay guarded by their compare-and-set).
    client.on('error', () => {});
    await client.connect();
    try {
      const r = await client.query<{ held: boolean }>(TRY_LOCK, [`ltku-instance:${schema}:${name}`]);
      if (r.rows[0]?.held !== true) {
        throw new ServerConfigError(
          `another live server instance is named ${JSON.stringify(name)} on this database (schema ${schema}): ` +
            'give each instance its own --instance-name (or --advertise-url)',
        );
      }
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    return new InstanceNameLock(client);
  }

  /** Lets the name go (the connection ends, and with it the lock). */
  async release(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}

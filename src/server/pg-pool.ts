// DESIGN.md 8: the PostgreSQL connections of one store (jobs, campaigns). pg's Pool leaves a call that waits for a
// free connection pending forever once end() is called (its queue is never served again); a store closed under a
// busy feeder or RAM session would then hang whoever awaits that call (the feeder's stop, the server's close).
// Here closing fails every waiting call at once, and every later one.
import pg from 'pg';

/** A pool or one of its connections (a statement in or out of a transaction). */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export class StorePool implements Queryable {
  readonly #pool: pg.Pool;
  readonly #name: string;
  #closed = false;
  /** The rejections of the calls waiting for a connection. */
  readonly #waiting = new Set<(e: Error) => void>();

  /** `name` says which store in the error a closed pool gives (e.g. "the job store"). */
  constructor(config: pg.PoolConfig, name: string) {
    this.#pool = new pg.Pool(config);
    this.#name = name;
    // An idle connection that dies (a database restart) is dropped by the pool, and the next call opens another;
    // without a listener, pg's 'error' event would end the process.
    this.#pool.on('error', () => {});
  }

  #closedError(): Error {
    return new Error(`${this.#name} is closed`);
  }

  /** A connection of the pool (release it); rejected when the pool is or gets closed before one is free. */
  connect(): Promise<pg.PoolClient> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      this.#waiting.add(fail);
      this.#pool.connect().then(
        (client) => {
          if (this.#waiting.delete(fail)) resolve(client);
          else client.release(); // closed meanwhile: the caller has its error already
        },
        (e: Error) => {
          this.#waiting.delete(fail);
          reject(e);
        },
      );
    });
  }

  /** One statement on a connection of its own (as pg.Pool.query). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const client = await this.connect();
    try {
      const r = await client.query<R>(text, values);
      client.release();
      return r;
    } catch (e) {
      client.release(e as Error); // as pg.Pool.query: a client that failed is not reused
      throw e;
    }
  }

  /** `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  /** Fails the waiting calls, then ends the connections (those in use once released). */
  async end(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const e = this.#closedError();
    for (const fail of this.#waiting) fail(e);
    this.#waiting.clear();
    await this.#pool.end();
  }
}

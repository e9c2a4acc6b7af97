// A fleet's cards in one SQLite file (issue 11: not N JSON files): each card image as its "ltku-card/1" JSON in a
// row, rewritten in one statement when the card stores a change (SQLite's transaction makes the write atomic:
// after a crash the row holds the old image or the new one). The file holds card secrets: mode 0600.
import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { decodeCardImage, encodeCardImage, type CardImage } from '../../../../card/index.js';
import type { FleetCard, FleetSource } from '../../../../fleet/index.js';
import { UsageError } from '../../../errors.js';

export const FLEET_FORMAT = 'ltku-fleet/1';
const FILE_MODE = 0o600;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_cards (card INTEGER PRIMARY KEY, eid TEXT NOT NULL UNIQUE, image TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_profiles (iccid TEXT PRIMARY KEY, imsi TEXT NOT NULL UNIQUE, card INTEGER NOT NULL);
`;

export class FleetDb implements FleetSource {
  readonly #db: Database.Database;
  #size: number;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#size = (db.prepare('SELECT count(*) AS n FROM fleet_cards').get() as { n: number }).n;
  }

  /** A new fleet file; refuses to overwrite one. */
  static create(path: string): FleetDb {
    if (existsSync(path)) throw new UsageError(`--out: ${path} already exists; not overwriting it`);
    const db = new Database(path);
    chmodSync(path, FILE_MODE);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    db.prepare('INSERT INTO fleet_meta (key, value) VALUES (?, ?)').run('format', FLEET_FORMAT);
    return new FleetDb(db);
  }

  static open(path: string): FleetDb {
    if (!existsSync(path)) throw new UsageError(`--fleet: ${path} does not exist (ltku fleet create)`);
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: true });
      const format = db.prepare("SELECT value FROM fleet_meta WHERE key = 'format'").get() as
        { value: string } | undefined;
      if (format?.value !== FLEET_FORMAT) throw new Error(`not ${FLEET_FORMAT}`);
    } catch (e) {
      throw new UsageError(`--fleet: ${path} is not a fleet file (${(e as Error).message})`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return new FleetDb(db);
  }

  get size(): number {
    return this.#size;
  }

  /** Cards numbered from the current size on, in one transaction. */
  add(images: readonly CardImage[]): void {
    const card = this.#db.prepare('INSERT INTO fleet_cards (card, eid, image) VALUES (?, ?, ?)');
    const profile = this.#db.prepare('INSERT INTO fleet_profiles (iccid, imsi, card) VALUES (?, ?, ?)');
    this.#db.transaction(() => {
      for (const image of images) {
        const n = this.#size++;
        card.run(n, image.eid, encodeCardImage(image));
        for (const p of image.profiles) profile.run(p.iccid, p.imsi, n);
      }
    })();
  }

  open(n: number): FleetCard {
    const row = this.#db.prepare('SELECT image FROM fleet_cards WHERE card = ?').get(n) as
      { image: string } | undefined;
    if (row === undefined) throw new UsageError(`fleet has no card ${n}`);
    const update = this.#db.prepare('UPDATE fleet_cards SET image = ? WHERE card = ?');
    return {
      image: decodeCardImage(row.image),
      store: { save: (image) => void update.run(encodeCardImage(image), n) },
    };
  }

  iccids(): string[] {
    return (
      this.#db.prepare('SELECT iccid FROM fleet_profiles ORDER BY card').all() as { iccid: string }[]
    ).map((r) => r.iccid);
  }

  close(): void {
    this.#db.close();
  }
}

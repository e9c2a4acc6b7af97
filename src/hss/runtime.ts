// Opening an HSS from its settings: data directory, database (SQLite file or postgres:// URL), key-encryption
// key. Used by the `ltku hss` commands and by anything that hosts the HSS in-process (the demo).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cryptoRandom, type RandomSource } from '../crypto/index.js';
import { silentLogger, type Clock, type Logger } from '../ports/index.js';
import { Auc, newAkaFunctionsCache } from './auc.js';
import { Hss } from './hss.js';
import { loadKek } from './kek.js';
import { KeyVault } from './key-vault.js';
import { isPostgresUrl, openStore } from './store/open.js';
import type { SubscriberStore } from './store/store.js';

export const DEFAULT_DATA_DIR = '.ltku';
export const DEFAULT_DB_FILE = 'hss.sqlite';
export const DEFAULT_KEK_FILE = 'hss-kek.hex';

export interface HssSettings {
  readonly dataDir?: string;
  /** SQLite file path or postgres:// URL (default <dataDir>/hss.sqlite). */
  readonly db?: string;
  /** Default <dataDir>/hss-kek.hex, created with mode 0600 when missing. */
  readonly kekFile?: string;
  /** KEK as 64 hex digits (wins over the file). */
  readonly kekHex?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly rng?: RandomSource;
}

export interface HssRuntime {
  readonly store: SubscriberStore;
  readonly hss: Hss;
  readonly auc: Auc;
  readonly logger: Logger;
  /** The database, for messages: a file path, or the URL without credentials. */
  readonly database: string;
  readonly kekCreated: boolean;
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };

export function describeDatabase(db: string): string {
  if (!isPostgresUrl(db)) return db;
  const u = new URL(db);
  u.password = '';
  return u.toString();
}

export async function openHssRuntime(settings: HssSettings = {}): Promise<HssRuntime> {
  const dataDir = resolve(settings.dataDir ?? DEFAULT_DATA_DIR);
  const db = settings.db ?? join(dataDir, DEFAULT_DB_FILE);
  const rng = settings.rng ?? cryptoRandom;
  const clock = settings.clock ?? systemClock;
  const logger = settings.logger ?? silentLogger;
  const kekFile = settings.kekFile ?? join(dataDir, DEFAULT_KEK_FILE);
  if (!isPostgresUrl(db) || settings.kekFile === undefined)
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { kek, created } = loadKek({ kekFile, ...(settings.kekHex ? { kekHex: settings.kekHex } : {}) }, rng);
  const vault = new KeyVault(kek, rng);
  kek.fill(0);
  const store = await openStore(db);
  return {
    store,
    hss: new Hss({ store, vault, clock, logger }),
    auc: new Auc({ store, vault, rng, clock, logger, functionsCache: newAkaFunctionsCache() }),
    logger,
    database: describeDatabase(db),
    kekCreated: created,
    close: () => store.close(),
  };
}

// Issue 11, DESIGN.md 8: what makes `ltku server serve` one instance among several: its campaign store (the same
// database as its jobs), its advertised URL (RAM sessions stay on it), and, on SQLite, the instance lock that
// refuses a second instance on the same file.
import { hostname } from 'node:os';
import { SqliteInstanceLock } from '../../../../server/sqlite-instance-lock.js';
import { openCampaignStore, type CampaignStore } from '../../../../server/campaign/index.js';
import { isPostgresUrl } from '../../../../server/index.js';
import type { OptionValues } from '../../../command.js';
import { optionalHttpUrl } from '../../../options.js';

export const INSTANCE_OPTIONS = {
  'advertise-url': { type: 'string' },
} as const;

export const INSTANCE_USAGE = [
  "  --advertise-url: this instance's base URL as UEs reach it (e.g. behind a load balancer); each RAM session",
  '  stays on the instance that opened it (X-Admin-Next-URI). Several instances share one --db postgres://...;',
  '  a second instance on the same SQLite file is refused',
];

export interface ServerInstance {
  /** For listenServer: the campaigns and the advertised URL. */
  readonly deps: {
    readonly campaigns: { readonly store: CampaignStore; readonly instance: string };
    readonly advertiseUrl?: string;
  };
  close(): Promise<void>;
}

/** Takes the SQLite instance lock (not for PostgreSQL or ':memory:'), then opens the campaign store. */
export async function openServerInstance(values: OptionValues, db: string): Promise<ServerInstance> {
  const advertiseUrl = optionalHttpUrl(values, 'advertise-url');
  const lock = isPostgresUrl(db) || db === ':memory:' ? undefined : SqliteInstanceLock.acquire(db);
  let store: CampaignStore;
  try {
    store = await openCampaignStore(db);
  } catch (e) {
    lock?.release();
    throw e;
  }
  return {
    deps: {
      campaigns: { store, instance: advertiseUrl ?? `${hostname()}:${process.pid}` },
      ...(advertiseUrl === undefined ? {} : { advertiseUrl }),
    },
    async close() {
      await store.close();
      lock?.release();
    },
  };
}

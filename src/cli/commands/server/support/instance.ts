// Issue 11, DESIGN.md 8: what makes `ltku server serve` one instance among several: its campaign store (the same
// database as its jobs), its advertised URL (RAM sessions stay on it), and, on SQLite, the instance lock that
// refuses a second instance on the same file.
import { hostname } from 'node:os';
import { InstanceNameLock } from '../../../../server/instance-name-lock.js';
import { SqliteInstanceLock } from '../../../../server/sqlite-instance-lock.js';
import { openCampaignStore, type CampaignStore } from '../../../../server/campaign/index.js';
import { isPostgresUrl } from '../../../../server/index.js';
import type { OptionValues } from '../../../command.js';
import { UsageError } from '../../../errors.js';
import { optionalHttpUrl, optionalInt, optionalString } from '../../../options.js';

export const INSTANCE_OPTIONS = {
  'advertise-url': { type: 'string' },
  'instance-name': { type: 'string' },
  'campaign-lease-seconds': { type: 'string' },
} as const;

/** DESIGN.md 8: how long a wave an instance claimed stays its own without it renewing (campaign feeder). */
const LEASE_SECONDS = { default: 60, min: 5, max: 3600 } as const;
/** Printable, no spaces: it is written in every member an instance claims and in the logs. */
const INSTANCE_NAME = /^[\x21-\x7e]{1,200}$/;

export const INSTANCE_USAGE = [
  "  --advertise-url: this instance's base URL as UEs reach it (e.g. behind a load balancer); each RAM session",
  '  stays on the instance that opened it (X-Admin-Next-URI). Several instances share one --db postgres://...;',
  '  a second instance on the same SQLite file is refused',
  "  --instance-name: this instance's name in the campaign claims, unique among the instances and kept across",
  '  restarts (default: the --advertise-url, else host:pid): restarted under the same name, an instance takes',
  '  back at once the members it had claimed; under a new one they wait for --campaign-lease-seconds (default 60)',
];

export interface ServerInstance {
  /** For listenServer: the campaigns and the advertised URL. */
  readonly deps: {
    readonly campaigns: {
      readonly store: CampaignStore;
      readonly instance: string;
      readonly leaseMs: number;
    };
    readonly advertiseUrl?: string;
  };
  close(): Promise<void>;
}

/**
 * Takes the SQLite instance lock, or on PostgreSQL the instance's name (not for ':memory:'), then opens the
 * campaign store.
 */
export async function openServerInstance(values: OptionValues, db: string): Promise<ServerInstance> {
  const advertiseUrl = optionalHttpUrl(values, 'advertise-url');
  const name = optionalString(values, 'instance-name');
  if (name !== undefined && !INSTANCE_NAME.test(name))
    throw new UsageError('--instance-name: 1 to 200 printable characters without spaces');
  const leaseSeconds =
    optionalInt(values, 'campaign-lease-seconds', undefined, [LEASE_SECONDS.min, LEASE_SECONDS.max]) ??
    LEASE_SECONDS.default;
  const instance = name ?? advertiseUrl ?? `${hostname()}:${process.pid}`;
  const lock = isPostgresUrl(db)
    ? await InstanceNameLock.acquire(db, instance)
    : db === ':memory:'
      ? undefined
      : SqliteInstanceLock.acquire(db);
  let store: CampaignStore;
  try {
    store = await openCampaignStore(db);
  } catch (e) {
    await lock?.release();
    throw e;
  }
  return {
    deps: {
      campaigns: {
        store,
        instance,
        leaseMs: leaseSeconds * 1000,
      },
      ...(advertiseUrl === undefined ? {} : { advertiseUrl }),
    },
    async close() {
      await store.close();
      await lock?.release();
    },
  };
}

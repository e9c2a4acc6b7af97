// The demo's loopback deployment: HSS, core and Provisioning Server in this process, each on its own port and
// talking to the others over HTTP exactly as separate processes would, with credentials issued in memory
// (DESIGN.md 7: one principal per role; the services keep only the hashes).
import {
  DEFAULT_PRINCIPALS,
  issueCredentials,
  PrincipalTable,
  ROLE_CORE,
  type Authenticator,
  type Role,
} from '../../../../auth/index.js';
import { cryptoRandom } from '../../../../crypto/index.js';
import { HssClient } from '../../../../hss/client/index.js';
import { listenHss, openHssRuntime, type HssRuntime } from '../../../../hss/index.js';
import { listenCore } from '../../../../core/index.js';
import { silentLogger } from '../../../../ports/index.js';

const systemClock = { now: () => new Date() };

export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** What the demo's services check, and each role's token (the default principal is named after its role). */
export interface DemoCredentials {
  readonly authenticator: Authenticator;
  tokenOf(role: Role): string;
}

export function demoCredentials(): DemoCredentials {
  const issued = issueCredentials(DEFAULT_PRINCIPALS, cryptoRandom, new Date().toISOString());
  return {
    authenticator: new PrincipalTable(issued.records),
    tokenOf: (role) => issued.tokens.get(role) as string,
  };
}

export interface Services {
  readonly hssRuntime: HssRuntime;
  readonly hssUrl: string;
  readonly coreUrl: string;
  stopAll(): Promise<void>;
}

/** Starts the HSS (on the demo's database) and the core; returns their URLs and one stop for all. */
export async function startHssAndCore(
  dataDir: string,
  db: string | undefined,
  credentials: DemoCredentials,
  /** The core's fetch to the HSS (recorded by --report). */
  hssFetch?: typeof fetch,
): Promise<Services> {
  const stack: Running[] = [];
  const hssRuntime = await openHssRuntime({ dataDir, ...(db ? { db } : {}) });
  stack.push({ url: '', close: () => hssRuntime.close() });
  try {
    const hss = await listenHss({
      hss: hssRuntime.hss,
      auc: hssRuntime.auc,
      logger: silentLogger,
      authenticator: credentials.authenticator,
    });
    stack.push(hss);
    const core = await listenCore({
      hss: new HssClient(hss.url, { token: credentials.tokenOf(ROLE_CORE), fetch: hssFetch }),
      authenticator: credentials.authenticator,
      clock: systemClock,
      rng: cryptoRandom,
      logger: silentLogger,
      keepAliveMs: 0,
    });
    stack.push(core);
    return {
      hssRuntime,
      hssUrl: hss.url,
      coreUrl: core.url,
      stopAll: () => closeAll(stack),
    };
  } catch (e) {
    await closeAll(stack);
    throw e;
  }
}

export async function closeAll(stack: Running[]): Promise<void> {
  for (const s of stack.reverse()) await s.close().catch(() => undefined);
}

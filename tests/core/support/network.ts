// A whole network in-process for attach tests: the HSS (its runtime on a SQLite file in a temporary directory,
// or on a PostgreSQL URL) on an ephemeral port, the core on another in front of it (through HssClient), and
// personalised virtual cards whose subscribers are imported into the HSS from their personalisation file.
// Credentials (DESIGN.md 7) are issued in memory: the core calls the HSS as `core`; `hssClient` calls each
// operation with the role it needs; `auth` gives tests the tokens of operator, provisioner and core.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../../../src/crypto/index.js';
import {
  openHssRuntime,
  listenHss,
  parsePersonalisationFile,
  type HssRuntime,
} from '../../../src/hss/index.js';
import { HssClient } from '../../../src/hss/client/index.js';
import { listenCore } from '../../../src/core/index.js';
import { GetResponseChannel, type CardChannel } from '../../../src/iso7816/index.js';
import { MemoryCardStore, VirtualCard, subscribersFile, type CardImage } from '../../../src/card/index.js';
import { FixedClock, silentLogger } from '../../../src/ports/index.js';
import { NOW, setup } from '../../card/support/fixture.js';
import { AllRolesHssClient, testAuth, type TestAuth } from '../../helpers/auth.js';

export const SNN = '5G:mnc001.mcc001.3gppnetwork.org';
const KEK_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

export interface Network {
  readonly hssUrl: string;
  readonly coreUrl: string;
  readonly runtime: HssRuntime;
  readonly hssClient: HssClient;
  /** The credentials both the HSS and the core accept. */
  readonly auth: TestAuth;
  /** Imports the card's subscribers (its personalisation output file) into the HSS. */
  provision(image: CardImage): Promise<void>;
  close(): Promise<void>;
}

export async function startNetwork(options: { db?: string; seed?: string } = {}): Promise<Network> {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-core-'));
  const runtime = await openHssRuntime({
    dataDir: dir,
    ...(options.db === undefined ? {} : { db: options.db }),
    kekHex: KEK_HEX,
    rng: new SeededRandom(`hss-${options.seed ?? 'net'}`),
  });
  const auth = testAuth(`auth-${options.seed ?? 'net'}`);
  const { authenticator } = auth;
  const hss = await listenHss({ hss: runtime.hss, auc: runtime.auc, logger: silentLogger, authenticator });
  const hssClient = new AllRolesHssClient(hss.url, auth);
  const core = await listenCore({
    hss: new HssClient(hss.url, { token: auth.token('core') }),
    authenticator,
    clock: { now: () => new Date() },
    rng: new SeededRandom(`core-${options.seed ?? 'net'}`),
    logger: silentLogger,
    keepAliveMs: 0,
  });
  return {
    hssUrl: hss.url,
    coreUrl: core.url,
    runtime,
    hssClient,
    auth,
    async provision(image) {
      const parsed = parsePersonalisationFile(JSON.stringify(subscribersFile(image)));
      for (const s of parsed.subscribers) await runtime.hss.create(s, 'test-import');
    },
    async close() {
      await core.close();
      await hss.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestCard {
  readonly image: CardImage;
  readonly card: VirtualCard;
  readonly store: MemoryCardStore;
  readonly channel: CardChannel;
}

/** A personalised card (2 Milenage profiles unless overridden) as the UE sees it. */
export function newCard(seed: string, overrides: Parameters<typeof setup>[1] = {}): TestCard {
  const s = setup(seed, overrides);
  return { image: s.image, card: s.card, store: s.store, channel: s.channel };
}

/** The same image in a new card (e.g. with edited keys or SQN). */
export function cardOf(image: CardImage, seed = 'card-of'): TestCard {
  const store = new MemoryCardStore();
  const card = new VirtualCard(image, { store, clock: new FixedClock(NOW), rng: new SeededRandom(seed) });
  return { image, card, store, channel: new GetResponseChannel(card) };
}

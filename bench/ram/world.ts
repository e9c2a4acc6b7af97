// The RAM path of the Provisioning Server alone (issue 11): the server as composed in production (listenServer,
// RAM listener on 127.0.0.1:0, pino at info into /dev/null) on an in-memory SQLite job store and an in-process
// HSS role that costs nothing, for a fleet of distinct cards (each its own CERT.SD.ECKA). The server's ShSs and
// verified-certificate caches hold one entry, so every session meets a card they do not know, as in a fleet
// larger than the caches. The UE agents and cards run in another process (client.ts), so this process's CPU
// time is the server's alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_PRINCIPALS, PrincipalTable, issueCredentials } from '../../src/auth/index.js';
import { wipe } from '../../src/bytes/index.js';
import { P256, cryptoRandom } from '../../src/crypto/index.js';
import { encodeCardImage, personaliseCard, subscribersFile, type CardImage } from '../../src/card/index.js';
import { fleetProfileIds } from '../../src/fleet/index.js';
import { StaticSecretCache } from '../../src/gp/index.js';
import { VerifiedCertificateCache, randomEid } from '../../src/pki/index.js';
import {
  SqliteJobStore,
  listenServer,
  parseInventoryFile,
  type HssRole,
  type HssSubscriber,
  type KeyTransition,
  type RunningServer,
} from '../../src/server/index.js';
import { makePki, type Pki } from '../../tests/card/support/fixture.js';
import { serverSession } from '../../tests/helpers/server-session.js';

const DAY_MS = 86_400_000;
const IMSI_PREFIX = '00101';
const FIRST_MSIN = 1_000_000;

/** DESIGN.md 6 with nothing behind it: the keys are opened (as ltku's HSS client does) and dropped. */
export class FreeHss implements HssRole {
  readonly name = 'bench HSS';
  readonly hasCandidates = true;
  readonly #active = new Map<string, number>();

  async subscriber(imsi: string): Promise<HssSubscriber> {
    return { imsi, algorithm: 'milenage', activeVersion: this.#active.get(imsi) ?? 1 };
  }
  async stage(_imsi: string, t: KeyTransition): Promise<void> {
    const { k, opc } = t.openKeys();
    wipe(k, opc);
  }
  async commit(imsi: string, t: KeyTransition): Promise<void> {
    this.#active.set(imsi, t.keyVersion);
  }
  async abort(): Promise<void> {}
  async listCandidates(): Promise<[]> {
    return [];
  }
  async ready(): Promise<void> {}
}

export interface RamWorld {
  readonly server: RunningServer;
  readonly store: SqliteJobStore;
  /** The cards' images, one encodeCardImage per line (what client.ts runs). */
  readonly imagesFile: string;
  readonly images: readonly CardImage[];
  /** A job for every card (not measured: the RAM path starts at the UE's first POST). */
  createJobs(): Promise<string[]>;
  close(): Promise<void>;
}

/** `cards` distinct cards on P-256, one profile each, personalised as `ltku fleet create` does. */
export function fleetImages(pki: Pki, cards: number): CardImage[] {
  const now = new Date();
  return Array.from({ length: cards }, (_, card) => {
    const image = personaliseCard({
      eid: randomEid(cryptoRandom),
      profiles: 1,
      algorithm: 'milenage',
      imsiPrefix: IMSI_PREFIX,
      curves: [P256],
      sdCertificateFormat: 'gp',
      issuer: {
        keyPair: pki.klcc,
        name: { organization: 'ltku bench', commonName: 'CA-KLCC' },
        nextSerial: pki.nextSerial,
      },
      trustedOceCas: [{ curve: pki.kloc.curve, publicKey: pki.kloc.publicKey, name: 'CA-KLOC' }],
      dataObjects: 'gp',
      minAesKeyLength: 16,
      notBefore: new Date(now.getTime() - DAY_MS),
      notAfter: new Date(now.getTime() + 365 * DAY_MS),
      rng: cryptoRandom,
    });
    const ids = fleetProfileIds({ imsiPrefix: IMSI_PREFIX, firstMsin: FIRST_MSIN }, card);
    return { ...image, profiles: image.profiles.map((p) => ({ ...p, ...ids })) };
  });
}

export async function ramWorld(cards: number): Promise<RamWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-bench-ram-'));
  let serial = 1;
  const pki = makePki(cryptoRandom);
  // serials must stay unique past 255 cards
  pki.nextSerial = () => Uint8Array.of(serial >> 16, (serial >> 8) & 0xff, serial++ & 0xff);
  const images = fleetImages(pki, cards);
  const imagesFile = join(dir, 'cards.jsonl');
  writeFileSync(
    imagesFile,
    images.map((i) => JSON.stringify(JSON.parse(encodeCardImage(i)))).join('\n') + '\n',
    {
      mode: 0o600,
    },
  );
  const inventory = images.flatMap((i) => parseInventoryFile(JSON.stringify(subscribersFile(i))));
  const credentials = issueCredentials(DEFAULT_PRINCIPALS, cryptoRandom, new Date().toISOString());
  const store = new SqliteJobStore(':memory:');
  // Buffered as `ltku server serve` logs (cli/commands/server/support/service-log.ts), into /dev/null.
  const logger = pino(
    { name: 'server', level: 'info' },
    pino.destination({ dest: '/dev/null', sync: true, minLength: 4096 }),
  );
  const server = await listenServer({
    store,
    hss: new FreeHss(),
    kek: cryptoRandom.randomBytes(32),
    authenticator: new PrincipalTable(credentials.records),
    inventory,
    logger,
    reconcileIntervalMs: 0,
    session: {
      ...serverSession(pki, { now: () => new Date() }, cryptoRandom),
      staticSecrets: new StaticSecretCache(1),
      verifiedCertificates: new VerifiedCertificateCache(1),
    },
  });
  return {
    server,
    store,
    imagesFile,
    images,
    async createJobs() {
      const ids: string[] = [];
      for (const image of images) {
        ids.push((await server.jobs.create({ iccid: image.profiles[0].iccid }, 'bench')).id);
      }
      return ids;
    },
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

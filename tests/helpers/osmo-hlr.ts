// A real osmo-hlr for tests (issue 12): started by the osmo layer's launcher in a temporary directory, its
// subscribers created over CTRL with the keys of a card's profiles. Skipped with a reason where osmo-hlr is not
// installed (CI installs it: .ci/run).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CardImage } from '../../src/card/index.js';
import {
  CtrlClient,
  OsmoHlrSubscribers,
  osmoHlrInstalled,
  startOsmoHlr,
  type Endpoint,
  type OsmoHlr,
} from '../../src/osmo/index.js';

export const osmoSkip: string | false = osmoHlrInstalled()
  ? false
  : 'osmo-hlr is not installed (apt-get install osmo-hlr)';

export interface TestHlr {
  readonly hlr: OsmoHlr;
  /** Runs `fn` on a fresh CTRL connection. */
  subscribers<T>(fn: (s: OsmoHlrSubscribers) => Promise<T>): Promise<T>;
  /** Creates each profile's subscriber with the profile's current K and OPc. */
  provision(image: CardImage): Promise<void>;
  close(): Promise<void>;
}

export async function startTestHlr(): Promise<TestHlr> {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-osmo-hlr-'));
  const hlr = await startOsmoHlr({ dir });
  const subscribers = async <T>(fn: (s: OsmoHlrSubscribers) => Promise<T>): Promise<T> => {
    const ctrl = await CtrlClient.connect(hlr.ctrl);
    try {
      return await fn(new OsmoHlrSubscribers(ctrl));
    } finally {
      await ctrl.close();
    }
  };
  return {
    hlr,
    subscribers,
    provision: (image) =>
      subscribers(async (s) => {
        for (const p of image.profiles) {
          await s.create(p.imsi);
          await s.setAud3g(p.imsi, { algorithm: 'milenage', k: p.keys.k, opc: p.keys.opc });
        }
      }),
    async close() {
      await hlr.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP relay in front of an endpoint that drops both sides of a connection when a chunk from the client
 * matches `drop` (e.g. a CTRL SET of aud3g): a connection lost in the middle of a write.
 */
export interface DroppingRelay {
  readonly at: Endpoint;
  drop: ((chunk: Buffer) => boolean) | undefined;
  /** Connections dropped so far. */
  dropped: number;
  close(): Promise<void>;
}

export async function droppingRelay(target: Endpoint): Promise<DroppingRelay> {
  const sockets = new Set<Socket>();
  const relay: DroppingRelay = { at: { host: '127.0.0.1', port: 0 }, drop: undefined, dropped: 0, close };
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (relay.drop?.(chunk)) {
        relay.dropped++;
        end();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
    upstream.connect(target.port, target.host);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay: no TCP address');
  (relay as { at: Endpoint }).at = { host: '127.0.0.1', port: address.port };
  async function close(): Promise<void> {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return relay;
}

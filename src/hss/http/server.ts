// Listening on a socket: the app of app.ts bound to HOST:PORT, with its URL and a clean close.
import type { AddressInfo } from 'node:net';
import { buildHssApp, type HssAppDeps } from './app.js';

export interface RunningHss {
  readonly url: string;
  close(): Promise<void>;
}

export async function listenHss(deps: HssAppDeps, host = '127.0.0.1', port = 0): Promise<RunningHss> {
  const app = buildHssApp(deps);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, close: () => app.close() };
}

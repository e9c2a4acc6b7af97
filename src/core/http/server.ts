// Listening on a socket: the core app bound to HOST:PORT, with its URL and a clean close.
import type { AddressInfo } from 'node:net';
import { buildCoreApp, type CoreDeps } from './app.js';

export interface RunningCore {
  readonly url: string;
  close(): Promise<void>;
}

export async function listenCore(deps: CoreDeps, host = '127.0.0.1', port = 0): Promise<RunningCore> {
  const app = buildCoreApp(deps);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, close: () => app.close() };
}

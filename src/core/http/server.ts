// Listening on a socket: the core app bound to HOST:PORT, with its URL and a clean close.
import { listenApp, type Listening } from '../../http/index.js';
import { buildCoreApp, type CoreDeps } from './app.js';

export type RunningCore = Listening;

export async function listenCore(deps: CoreDeps, host = '127.0.0.1', port = 0): Promise<RunningCore> {
  return listenApp(buildCoreApp(deps), host, port);
}

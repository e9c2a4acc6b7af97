// Listening on a socket: the HSS app bound to HOST:PORT, with its URL and a clean close.
import { listenApp, type Listening } from '../../http/index.js';
import { buildHssApp, type HssAppDeps } from './app.js';

export type RunningHss = Listening;

export async function listenHss(deps: HssAppDeps, host = '127.0.0.1', port = 0): Promise<RunningHss> {
  return listenApp(buildHssApp(deps), host, port);
}

// Listening on a socket: an app bound to HOST:PORT, with its URL and a clean close.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** The base URL of a listening app (IPv6 hosts in brackets, RFC 3986 3.2.2). */
export function urlOf(app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shownHost}:${address.port}`;
}

/** How often a closing app looks for connections that its in-flight requests have just left idle. */
const CLOSE_SWEEP_MS = 50;

/**
 * Closes `app` gracefully: requests in flight get their answers, and every connection is closed as soon as it is
 * idle. Node closes the idle ones once, when the close begins; a connection whose request was still running would
 * otherwise stay open for the whole keep-alive timeout, and the close with it.
 */
async function closeApp(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), CLOSE_SWEEP_MS);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

export async function listenApp(app: FastifyInstance, host = '127.0.0.1', port = 0): Promise<Listening> {
  try {
    await app.listen({ host, port });
  } catch (e) {
    await app.close();
    throw e;
  }
  return { url: urlOf(app), close: () => closeApp(app) };
}

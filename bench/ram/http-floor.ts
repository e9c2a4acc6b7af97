// The HTTP floor of the RAM bench (issue 11): a bare node:http server (no fastify, no session, no store) that
// answers the POSTs of a recorded RAM session (transcript.ts) with the recorded status, headers and body size.
// Its CPU per replayed session is what the 4 POSTs of GPC Amd B's admin session cost a Node server by
// themselves (HTTP parsing, reading the body, writing the answer). Like the real server it opens a session at the
// first POST (a fresh UUID in X-Admin-Next-URI) and finds it by path at the next ones.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEADER_ADMIN_NEXT_URI } from '../../src/iso7816/index.js';
import type { Transcript } from './transcript.js';

const NOT_FOUND = 404;

export interface HttpFloorServer {
  /** http://127.0.0.1:port (the transcript's paths go under it). */
  readonly origin: string;
  close(): Promise<void>;
}

/** The session path without its id: X-Admin-Next-URI of the first answer up to its last "/". */
function sessionPathOf(transcript: Transcript): string {
  const next = transcript[0].responseHeaders[HEADER_ADMIN_NEXT_URI];
  if (next === undefined) throw new Error('HTTP floor: the recorded session has no X-Admin-Next-URI');
  return next.slice(0, next.lastIndexOf('/') + 1);
}

export async function listenHttpFloor(transcript: Transcript): Promise<HttpFloorServer> {
  const sessionPath = sessionPathOf(transcript);
  const answers = transcript.map((e) => ({
    status: e.status,
    headers: e.responseHeaders,
    body: Buffer.alloc(e.responseBytes),
  }));
  /** Session path -> index of its next POST in the transcript. */
  const sessions = new Map<string, number>();

  const answer = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    let step: number | undefined;
    let path = req.url ?? '';
    if (path === transcript[0].path) {
      step = 0;
      path = sessionPath + randomUUID();
    } else {
      step = sessions.get(path);
    }
    if (step === undefined || body.length !== transcript[step].requestBytes) {
      res.writeHead(NOT_FOUND).end();
      return;
    }
    if (step + 1 < answers.length) sessions.set(path, step + 1);
    else sessions.delete(path);
    const a = answers[step];
    const headers =
      a.headers[HEADER_ADMIN_NEXT_URI] === undefined
        ? a.headers
        : { ...a.headers, [HEADER_ADMIN_NEXT_URI]: path };
    res.writeHead(a.status, headers).end(a.body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e === undefined ? resolve() : reject(e)));
      }),
  };
}

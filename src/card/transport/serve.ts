// Serving a virtual card over a socket: as a client of pcscd's vpcd driver (the card connects, as vsmartcard's
// vicc does), or as a TCP server with the same framing. Both stop cleanly when asked.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../ports/index.js';
import { frame, FrameReader } from '../../iso7816/index.js';
import { answerMessage, type VirtualCardLike } from './framing.js';
import { CardTransportError } from '../errors.js';

function attach(socket: Socket, card: VirtualCardLike, logger: Logger): void {
  const reader = new FrameReader();
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    for (const message of reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
      const reply = answerMessage(card, message);
      if (reply !== undefined) socket.write(frame(reply));
    }
  });
  socket.on('error', (e) => logger.warn({ error: e.message }, 'card socket error'));
}

export interface RunningTransport {
  /** Where it listens (tcp) or what it connects to (vpcd). */
  readonly address: string;
  close(): Promise<void>;
}

/** TCP server: each connection is a reader slot; the card is powered on (reset) for each new connection. */
export async function serveTcp(
  card: VirtualCardLike,
  host: string,
  port: number,
  logger: Logger,
): Promise<RunningTransport> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    card.reset();
    attach(socket, card, logger);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(new CardTransportError(`cannot listen on ${host}:${port}: ${e.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  const address = typeof a === 'object' && a !== null ? `${a.address}:${a.port}` : `${host}:${port}`;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** vpcd client: connects to pcscd's vpcd driver and reconnects (every `retryMs`) until closed. */
export function connectVpcd(
  card: VirtualCardLike,
  host: string,
  port: number,
  logger: Logger,
  retryMs = 1000,
): RunningTransport {
  let closed = false;
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const open = () => {
    if (closed) return;
    const s = connect({ host, port });
    socket = s;
    s.on('connect', () => logger.info({ host, port }, 'connected to vpcd'));
    attach(s, card, logger);
    s.on('close', () => {
      if (!closed) timer = setTimeout(open, retryMs);
    });
  };
  open();
  return {
    address: `${host}:${port}`,
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      socket?.destroy();
    },
  };
}

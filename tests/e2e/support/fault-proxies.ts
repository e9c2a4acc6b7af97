// Fault injection between processes on loopback, for the DESIGN.md 6 crash tests: a TCP forwarder with a stable
// address in front of a service that is restarted on another port; an HTTP proxy in front of the server's RAM
// endpoint that calls a hook on each POST (before forwarding it, and before relaying the answer) and can drop
// the connection; a proxy in front of a card served over TCP (vpcd framing) that calls a hook on each C-APDU.
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { frame, FrameReader, VPCD_GET_ATR } from '../../../src/iso7816/index.js';

function listenLoopback(server: NetServer | Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: NetServer | Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** "127.0.0.1:PORT" or "http://127.0.0.1:PORT/..." as host and port. */
export function hostPort(address: string): { host: string; port: number } {
  const m = /^(?:https?:\/\/)?([0-9.]+):([0-9]+)/.exec(address);
  if (m === null) throw new Error(`not HOST:PORT: ${address}`);
  return { host: m[1], port: Number(m[2]) };
}

/** Forwards TCP connections to `target`; with no target (the service is down) a connection is reset. */
export class TcpForwarder {
  target: string | undefined;
  readonly #server: NetServer;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor() {
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(): Promise<TcpForwarder> {
    const f = new TcpForwarder();
    f.#port = await listenLoopback(f.#server);
    return f;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  #accept(client: Socket): void {
    if (this.target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(hostPort(this.target));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.#sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.#sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await closeServer(this.#server);
  }
}

/** What the RAM proxy does with one POST: pass it on, or drop the connection (the UE sees it fail). */
export type ProxyAction = 'forward' | 'drop';

/** Called with the POST's index (0 = first POST the proxy saw) before forwarding and before relaying. */
export type RamHook = (post: number, when: 'request' | 'answer') => Promise<ProxyAction>;

const HOP_HEADERS = ['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host'];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_HEADERS.includes(k)));
}

/** An HTTP proxy in front of the server's RAM endpoint; `target` is the server's current RAM URL. */
export class RamProxy {
  target: string | undefined;
  hook: RamHook = async () => 'forward';
  /** Every POST waits for this first (e.g. a restart of the server under way). */
  gate: Promise<unknown> = Promise.resolve();
  posts = 0;
  readonly #server: Server;
  #port = 0;

  private constructor() {
    this.#server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const post = this.posts++;
        const drop = () => req.socket.destroy();
        void (async () => {
          await this.gate.catch(() => undefined);
          if ((await this.hook(post, 'request')) === 'drop' || this.target === undefined) return drop();
          let answer;
          try {
            answer = await this.#forward(
              req.method ?? 'POST',
              req.url ?? '/',
              req.headers,
              Buffer.concat(chunks),
            );
          } catch {
            return drop();
          }
          if ((await this.hook(post, 'answer')) === 'drop') return drop();
          res.writeHead(answer.status, endToEnd(answer.headers));
          res.end(answer.body);
        })().catch(drop);
      });
    });
  }

  static async start(): Promise<RamProxy> {
    const p = new RamProxy();
    p.#port = await listenLoopback(p.#server);
    return p;
  }

  /** The URL a UE is given (the server's RAM path on the proxy). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}/ram/v1`;
  }

  #forward(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const { host, port } = hostPort(this.target!);
    return new Promise((resolve, reject) => {
      const r = request(
        {
          host,
          port,
          method,
          path,
          headers: { ...endToEnd(headers), 'content-length': body.length },
          agent: false,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(parts) }),
          );
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await closeServer(this.#server);
  }
}

/**
 * Where a card crash happens around one C-APDU: before the card gets it, right after it was sent (the card may
 * or may not have processed it), or after the card answered (the answer never reaches the UE).
 */
export type CardCrashPoint = 'before' | 'after-forward' | 'after-answer';

/** Called with each C-APDU (power and ATR messages excluded); a crash point makes the proxy call `crash`. */
export type CardHook = (apdu: Uint8Array) => CardCrashPoint | undefined;

/** A proxy in front of `ltku card serve --tcp`; `target` is the card's current address. */
export class CardProxy {
  target: string | undefined;
  hook: CardHook = () => undefined;
  /** Kills the card process (resolves when it is gone). */
  crash: () => Promise<void> = async () => {};
  readonly #server: NetServer;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor() {
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(): Promise<CardProxy> {
    const p = new CardProxy();
    p.#port = await listenLoopback(p.#server);
    return p;
  }

  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  #accept(client: Socket): void {
    if (this.target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(hostPort(this.target));
    this.#sockets.add(client).add(upstream);
    const fromClient = new FrameReader();
    const fromCard = new FrameReader();
    const queue: Uint8Array[] = [];
    const answers: Uint8Array[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const end = () => {
      closed = true;
      client.destroy();
      upstream.destroy();
      wake?.();
    };
    const next = async (from: Uint8Array[]): Promise<Uint8Array | undefined> => {
      while (from.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
      return from.shift();
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', () => {
        this.#sockets.delete(s);
        end();
      });
    }
    client.on('data', (c: Buffer) => {
      queue.push(...fromClient.push(new Uint8Array(c)));
      wake?.();
    });
    upstream.on('data', (c: Buffer) => {
      answers.push(...fromCard.push(new Uint8Array(c)));
      wake?.();
    });
    // One message at a time, as the vpcd protocol goes: an APDU (or GET ATR) gets exactly one answer.
    void (async () => {
      for (;;) {
        const message = await next(queue);
        if (message === undefined) return;
        const isApdu = message.length > 1;
        const point = isApdu ? this.hook(message) : undefined;
        if (point === 'before') return this.crash().then(end);
        upstream.write(frame(message));
        if (point === 'after-forward') return this.crash().then(end);
        if (!isApdu && message[0] !== VPCD_GET_ATR) continue;
        const answer = await next(answers);
        if (answer === undefined) return;
        if (point === 'after-answer') return this.crash().then(end);
        client.write(frame(answer));
      }
    })().catch(end);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await closeServer(this.#server);
  }
}

// A scripted IPA peer on 127.0.0.1 port 0 for client tests: records what the client sends, sends what the test
// says, can drop the connection.
import { createServer, type Server, type Socket } from 'node:net';
import { IpaFrameReader, type Endpoint, type IpaFrame } from '../../src/osmo/index.js';

export class FakePeer {
  readonly frames: IpaFrame[] = [];
  socket: Socket | undefined;
  #waiters: (() => void)[] = [];
  #connected: Promise<Socket>;
  #onConnect!: (s: Socket) => void;

  private constructor(
    private readonly server: Server,
    readonly at: Endpoint,
  ) {
    this.#connected = new Promise((resolve) => (this.#onConnect = resolve));
  }

  static async start(onConnect?: (peer: FakePeer, socket: Socket) => void): Promise<FakePeer> {
    let peer!: FakePeer;
    const server = createServer((socket) => {
      peer.socket = socket;
      const reader = new IpaFrameReader();
      socket.on('data', (chunk: Buffer) => {
        peer.frames.push(...reader.push(new Uint8Array(chunk)));
        for (const w of peer.#waiters.splice(0)) w();
      });
      socket.on('error', () => undefined);
      onConnect?.(peer, socket);
      peer.#onConnect(socket);
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    peer = new FakePeer(server, { host: '127.0.0.1', port: address.port });
    return peer;
  }

  connected(): Promise<Socket> {
    return this.#connected;
  }

  /** Waits until at least `n` frames arrived. */
  async frameCount(n: number): Promise<IpaFrame[]> {
    while (this.frames.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.frames;
  }

  send(bytes: Uint8Array): void {
    this.socket!.write(bytes);
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

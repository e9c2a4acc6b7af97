// The vpcd-framed TCP transport of the UE: messages split across TCP segments are reassembled, and a card that
// stops answering ends the channel with an error instead of a hang.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { command, encodeCommand, INS_SELECT } from '../../src/iso7816/index.js';
import { TcpCardChannel, UeTransportError } from '../../src/ue/index.js';

function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    }),
  );
}

const select = command(0x00, INS_SELECT, 0x04, 0x00, Uint8Array.of(0xa0, 0x00));

describe('TCP card transport (vpcd framing)', () => {
  it('powers the card on, frames the APDU and reassembles a reply split byte by byte', async () => {
    const received: number[][] = [];
    const { server, port } = await listen((s) => {
      s.on('data', (chunk) => {
        received.push([...chunk]);
        if (chunk.length > 3) {
          // reply 6A82 one byte per segment: 00 02 6A 82
          for (const b of [0x00, 0x02, 0x6a, 0x82]) s.write(Uint8Array.of(b));
        }
      });
    });
    const channel = await TcpCardChannel.connect('127.0.0.1', port);
    try {
      const r = await channel.transmit(select);
      assert.equal(r.sw, 0x6a82);
      assert.equal(r.data.length, 0);
      const sent = received.flat();
      assert.deepEqual(sent.slice(0, 3), [0x00, 0x01, 0x01], 'power on first');
      const apdu = [...encodeCommand(select)];
      assert.deepEqual(sent.slice(3), [apdu.length >> 8, apdu.length & 0xff, ...apdu]);
    } finally {
      channel.close();
      server.close();
    }
  });

  it('fails a transmit the card never answers, and every later one', async () => {
    const { server, port } = await listen(() => {});
    const channel = await TcpCardChannel.connect('127.0.0.1', port, 1000, 50);
    try {
      await assert.rejects(
        channel.transmit(select),
        (e) => e instanceof UeTransportError && /no answer/.test(e.message),
      );
      await assert.rejects(channel.transmit(select), UeTransportError);
    } finally {
      channel.close();
      server.close();
    }
  });
});

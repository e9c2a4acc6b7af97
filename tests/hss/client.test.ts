// HssClient's transport (issue 11): its own kept-alive connections to a real HSS, failures as HssClientError
// naming the URL and the cause (UNREACHABLE, issue 14) or the call (TIMEOUT), the injection seams (a request
// function around the real edge, a fetch) giving the same errors, and close() ending the connections.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fromHex } from '../../src/bytes/index.js';
import { KeepAliveHttpClient, type HttpRequestFn } from '../../src/http/client.js';
import { buildHssApp } from '../../src/hss/index.js';
import { urlOf } from '../../src/http/index.js';
import { HssClient, HssClientError } from '../../src/hss/client/index.js';
import { openStore, type SubscriberStore } from '../../src/hss/store/index.js';
import { imsiOf, makeHss, milenageKeys } from './fixture.js';
import { testAuth } from '../helpers/auth.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isError = (status: number, cause: string, message: RegExp) => (e: unknown) =>
  e instanceof HssClientError && e.status === status && e.cause === cause && message.test(e.message);

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('HssClient transport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-hss-client-'));
  const auth = testAuth('hss-client');
  let store: SubscriberStore;
  let running: { app: ReturnType<typeof buildHssApp>; url: string; close: () => Promise<void> };
  const sockets = new Set<Socket>();
  before(async () => {
    store = await openStore(join(dir, 'hss.sqlite'));
    const t = makeHss(store);
    const app = buildHssApp({ hss: t.hss, auc: t.auc, logger: t.logger, authenticator: auth.authenticator });
    await app.listen({ host: '127.0.0.1', port: 0 });
    running = { app, url: urlOf(app), close: () => app.close() };
    running.app.server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await t.hss.create({ imsi: imsiOf(1), keys: milenageKeys('t1') }, 'test');
  });
  after(async () => {
    await running.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls share a kept-alive connection; close() ends it', async () => {
    const client = new HssClient(running.url, { token: auth.token('provisioner') });
    for (let i = 0; i < 3; i++) assert.equal((await client.getSubscriber(imsiOf(1))).activeVersion, 1);
    assert.equal(sockets.size, 1);
    client.close();
    for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sockets.size, 0, 'the HSS saw the connection close');
  });

  it('an HSS not listening: UNREACHABLE naming the URL and the cause', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const client = new HssClient(url, { timeoutMs: 2000 });
    await assert.rejects(
      client.getSubscriber(imsiOf(1)),
      isError(
        0,
        'UNREACHABLE',
        new RegExp(`^HSS at ${url} unreachable: connection refused \\(ECONNREFUSED\\)$`),
      ),
    );
    client.close();
  });

  it('an HSS that does not answer: TIMEOUT naming the call', async () => {
    const silent = http.createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = new HssClient(url, { timeoutMs: 150 });
    try {
      await assert.rejects(
        client.commitCandidate(imsiOf(1), fromHex('ab'.repeat(16))),
        isError(
          0,
          'TIMEOUT',
          /^HSS POST \/admin\/v1\/subscribers\/001010000000001\/candidate\/commit: no answer within 150 ms$/,
        ),
      );
    } finally {
      client.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a request function injected around the real edge: faults as UNREACHABLE, the other calls go through', async () => {
    const edge = new KeepAliveHttpClient();
    const calls: string[] = [];
    const request: HttpRequestFn = async (r) => {
      calls.push(`${r.method} ${new URL(r.url).pathname}`);
      if (r.url.endsWith('/candidate/commit')) throw new TypeError('connect ECONNREFUSED');
      return edge.request(r);
    };
    const client = new HssClient(running.url, { token: auth.token('provisioner'), request });
    try {
      const tx = fromHex('cd'.repeat(16));
      const staged = await client.stageCandidate(imsiOf(1), {
        keyVersion: 2,
        transactionId: tx,
        keys: milenageKeys('t2'),
      });
      assert.equal(staged.candidate?.version, 2);
      await assert.rejects(
        client.commitCandidate(imsiOf(1), tx),
        isError(0, 'UNREACHABLE', new RegExp(`^HSS at ${running.url} unreachable: connect ECONNREFUSED$`)),
      );
      assert.equal((await client.getSubscriber(imsiOf(1))).activeVersion, 1, 'the commit never arrived');
      assert.deepEqual(calls, [
        `PUT /admin/v1/subscribers/${imsiOf(1)}/candidate`,
        `POST /admin/v1/subscribers/${imsiOf(1)}/candidate/commit`,
        `GET /admin/v1/subscribers/${imsiOf(1)}`,
      ]);
      await client.abortCandidate(imsiOf(1), tx);
    } finally {
      edge.close();
    }
  });

  it('a fetch injected (tests, the demo recorder): the same answers and errors', async () => {
    let down = false;
    const flaky: typeof fetch = async (input, init) => {
      if (down)
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) });
      return fetch(input, init);
    };
    const client = new HssClient(running.url, { token: auth.token('provisioner'), fetch: flaky });
    assert.equal((await client.getSubscriber(imsiOf(1))).imsi, imsiOf(1));
    await assert.rejects(client.getSubscriber(imsiOf(9)), isError(404, 'USER_NOT_FOUND', /404 Not Found/));
    down = true;
    await assert.rejects(
      client.getSubscriber(imsiOf(1)),
      isError(0, 'UNREACHABLE', /unreachable: connection closed by the peer \(ECONNRESET\)$/),
    );
    client.close();
  });
});

// The outgoing HTTP edge (src/http/client.ts, issue 11): calls share kept-alive connections, a JSON body goes
// with its length, a deadline ends a call that gets no answer, a refused connection names its cause (issue 14), a
// kept-alive connection the server dropped is retried once on a new one, an oversized answer is refused, close()
// ends the idle connections, and
// the fetch adapter keeps the same contract.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  describeNetworkFailure,
  HttpCallError,
  KeepAliveHttpClient,
  requestViaFetch,
  type HttpRequest,
} from '../../src/http/client.js';

/** A loopback server that records each request and counts connections; `answer` decides the reply. */
async function server(
  answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void = (_q, body, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ echo: body }));
  },
) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const s = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, body, res);
    });
  });
  s.on('connection', (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    connections: () => connections,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        s.close(() => resolve());
      }),
  };
}

const call = (url: string, o: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  url,
  headers: { accept: 'application/json' },
  timeoutMs: 2_000,
  ...o,
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('KeepAliveHttpClient', () => {
  it('sends method, path, headers and a JSON body with its length; calls share one kept-alive connection', async () => {
    const s = await server();
    const client = new KeepAliveHttpClient();
    try {
      const body = JSON.stringify({ imsis: ['001010000000001'], note: 'é' });
      const r = await client.request(
        call(`${s.url}/admin/v1/subscribers/lookup?x=1`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
          body,
        }),
      );
      assert.equal(r.status, 200);
      assert.equal(r.statusText, 'OK');
      assert.deepEqual(JSON.parse(r.body), { echo: body });
      assert.deepEqual(
        [s.seen[0].method, s.seen[0].url, s.seen[0].headers.authorization],
        ['POST', '/admin/v1/subscribers/lookup?x=1', 'Bearer t'],
      );
      assert.equal(s.seen[0].headers['content-length'], String(Buffer.byteLength(body)));
      for (let i = 0; i < 5; i++) assert.equal((await client.request(call(`${s.url}/n/${i}`))).status, 200);
      assert.equal(s.connections(), 1, 'one connection for six calls in a row');
      await Promise.all(Array.from({ length: 4 }, (_, i) => client.request(call(`${s.url}/p/${i}`))));
      assert.ok(s.connections() <= 4);
      assert.deepEqual(
        s.seen.slice(1, 6).map((q) => q.url),
        ['/n/0', '/n/1', '/n/2', '/n/3', '/n/4'],
      );
    } finally {
      client.close();
      await s.close();
    }
  });

  it('gives a non-2xx answer as it is (status and body)', async () => {
    const s = await server((_q, _b, res) => {
      res.statusCode = 404;
      res.end('{"cause":"USER_NOT_FOUND"}');
    });
    const client = new KeepAliveHttpClient();
    try {
      const r = await client.request(call(`${s.url}/x`));
      assert.deepEqual([r.status, r.statusText, r.body], [404, 'Not Found', '{"cause":"USER_NOT_FOUND"}']);
    } finally {
      client.close();
      await s.close();
    }
  });

  it('a call without an answer ends at its deadline (timeout); a refused connection is named (issue 14)', async () => {
    const s = await server(() => {
      // never answers
    });
    const client = new KeepAliveHttpClient();
    try {
      await assert.rejects(
        client.request(call(`${s.url}/slow`, { timeoutMs: 150 })),
        (e: unknown) =>
          e instanceof HttpCallError && e.kind === 'timeout' && e.message === 'no answer within 150 ms',
      );
    } finally {
      await s.close();
    }
    await assert.rejects(
      client.request(call(s.url)),
      (e: unknown) =>
        e instanceof HttpCallError &&
        e.kind === 'unreachable' &&
        e.message === 'connection refused (ECONNREFUSED)',
    );
    await assert.rejects(
      client.request(call('ftp://127.0.0.1/x')),
      (e: unknown) => e instanceof HttpCallError && e.kind === 'unreachable',
    );
    client.close();
  });

  it('a kept-alive connection the server dropped when reused: an idempotent call is retried once on a new one', async () => {
    // The first connection answers one request, then drops at the next (as a server closing an idle
    // connection just as the request arrives); the second connection answers normally.
    let first: net.Socket | undefined;
    const s = await server((req, body, res) => {
      if (first === undefined) first = req.socket;
      else if (req.socket === first || req.url === '/3') return void req.socket.destroy();
      res.end(body || 'ok');
    });
    const client = new KeepAliveHttpClient();
    try {
      assert.equal((await client.request(call(`${s.url}/1`))).body, 'ok');
      const again = await client.request(call(`${s.url}/2`, { method: 'PUT', body: 'staged' }));
      assert.equal(again.body, 'staged');
      assert.equal(s.connections(), 2);
      assert.deepEqual(
        s.seen.map((q) => q.url),
        ['/1', '/2', '/2'],
      );
      // A POST is not repeated on its own (RFC 9110 9.2.2): the caller hears of the failure.
      await assert.rejects(
        client.request(call(`${s.url}/3`, { method: 'POST', body: 'commit' })),
        (e: unknown) =>
          e instanceof HttpCallError &&
          e.kind === 'unreachable' &&
          /connection closed by the peer \(ECONNRESET\)|socket hang up/.test(e.message),
      );
      assert.deepEqual(
        s.seen.map((q) => q.url),
        ['/1', '/2', '/2', '/3'],
      );
    } finally {
      client.close();
      await s.close();
    }
  });

  it('an answer larger than maxResponseBytes is refused, streamed or declared, before the deadline', async () => {
    // A malicious or broken peer (HSS, core) streaming a body without end must not fill the server's memory.
    const s = await server((req, _body, res) => {
      if (req.url === '/declared') {
        res.setHeader('content-length', String(1 << 30));
        res.write('x'.repeat(100));
        return;
      }
      if (req.url === '/fits') return void res.end('y'.repeat(1024));
      const more = () => {
        if (!res.destroyed && res.write('z'.repeat(4096))) setImmediate(more);
        else if (!res.destroyed) res.once('drain', more);
      };
      more();
    });
    const client = new KeepAliveHttpClient({ maxResponseBytes: 1024 });
    try {
      for (const path of ['/endless', '/declared']) {
        await assert.rejects(
          client.request(call(`${s.url}${path}`, { timeoutMs: 10_000 })),
          (e: unknown) =>
            e instanceof HttpCallError &&
            e.kind === 'unreachable' &&
            e.message === 'the answer is larger than 1024 bytes',
          path,
        );
      }
      assert.equal((await client.request(call(`${s.url}/fits`))).body.length, 1024);
    } finally {
      client.close();
      await s.close();
    }
  });

  it('close() ends the idle connections; a later call opens a new one', async () => {
    const s = await server();
    const client = new KeepAliveHttpClient();
    try {
      await client.request(call(s.url));
      assert.equal(s.open(), 1);
      client.close();
      await until(() => s.open() === 0);
      assert.equal(s.open(), 0, 'the server saw the connection close');
      assert.equal((await client.request(call(s.url))).status, 200);
      assert.equal(s.connections(), 2);
    } finally {
      client.close();
      await s.close();
    }
  });
});

describe('requestViaFetch and describeNetworkFailure', () => {
  it('adapts a fetch to the same contract: answer, timeout, failure with its cause', async () => {
    const s = await server();
    try {
      const viaFetch = requestViaFetch(fetch);
      const r = await viaFetch(call(`${s.url}/f`, { method: 'POST', body: '{"a":1}' }));
      assert.deepEqual([r.status, JSON.parse(r.body)], [200, { echo: '{"a":1}' }]);
      const hanging = requestViaFetch(
        (_input, init) =>
          new Promise((_resolve, reject) =>
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
          ),
      );
      await assert.rejects(
        hanging(call(s.url, { timeoutMs: 50 })),
        (e: unknown) => e instanceof HttpCallError && e.kind === 'timeout',
      );
      const dropping = requestViaFetch(async () => {
        throw new TypeError('connection reset');
      });
      await assert.rejects(
        dropping(call(s.url)),
        (e: unknown) =>
          e instanceof HttpCallError && e.kind === 'unreachable' && e.message === 'connection reset',
      );
    } finally {
      await s.close();
    }
  });

  it('names DNS, reset and TLS failures by their code', () => {
    const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    assert.equal(describeNetworkFailure(coded('ENOTFOUND')), 'DNS cannot resolve the host (ENOTFOUND)');
    assert.equal(
      describeNetworkFailure(new TypeError('fetch failed', { cause: coded('ECONNRESET') })),
      'connection closed by the peer (ECONNRESET)',
    );
    assert.equal(
      describeNetworkFailure(coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE')),
      'TLS failure (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );
    assert.equal(describeNetworkFailure(coded('EHOSTUNREACH', 'no route')), 'no route (EHOSTUNREACH)');
  });
});

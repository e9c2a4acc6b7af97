// Network failures named by their cause (connection refused at URL, DNS, TLS, timeout), and a 404 that says which
// service answered (the title of its /openapi.json).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeFetchFailure, serviceAt, wrongServiceHint } from '../../src/ue/index.js';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function failureOf(url: string): Promise<string> {
  try {
    await fetch(url);
  } catch (e) {
    return describeFetchFailure(e, url);
  }
  throw new Error(`${url} answered`);
}

describe('describeFetchFailure', () => {
  it('says connection refused at the URL', async () => {
    const { url, server } = await listen(() => {});
    await new Promise((r) => server.close(r));
    assert.equal(
      await failureOf(url),
      `connection refused at ${url} (is the service running on ${url.slice(7)}?)`,
    );
  });
  it('says TLS when https meets plain HTTP', async () => {
    const { url, server } = await listen((_q, s) => s.end('plain'));
    try {
      const https = url.replace('http:', 'https:');
      assert.match(await failureOf(https), new RegExp(`^TLS failure with ${https} \\(`));
    } finally {
      server.close();
    }
  });
  it('says DNS and timeout from the error codes undici reports', () => {
    const dns = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    assert.equal(
      describeFetchFailure(dns, 'http://x.invalid'),
      'DNS: cannot resolve the host of http://x.invalid (ENOTFOUND)',
    );
    const timeout = Object.assign(new Error('aborted'), { name: 'TimeoutError' });
    assert.match(describeFetchFailure(timeout, 'http://h:1'), /timeout/);
  });
});

describe('which service answered a 404', () => {
  it('names the title of /openapi.json, or says there is none', async () => {
    const { url, server } = await listen((q, s) => {
      if (q.url === '/openapi.json')
        s.end(JSON.stringify({ openapi: '3.1.0', info: { title: 'ltku HSS/AuC' } }));
      else s.writeHead(404).end();
    });
    const bare = await listen((_q, s) => s.writeHead(404).end());
    try {
      assert.equal(await serviceAt(url), 'ltku HSS/AuC');
      assert.match(await wrongServiceHint(url, 'ltku core'), /is "ltku HSS\/AuC", not the ltku core/);
      assert.match(await wrongServiceHint(bare.url, 'ltku core'), /publishes no \/openapi\.json/);
    } finally {
      server.close();
      bare.server.close();
    }
  });
});

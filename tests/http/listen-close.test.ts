// Closing a listening app (http/listen.ts): a request in flight at the close gets its answer, and its keep-alive
// connection is closed once idle, so the close ends; it used to wait for the whole keep-alive timeout (65 s),
// which held up `ltku server serve`'s shutdown and a restart after it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { createHttpApp, listenApp } from '../../src/http/index.js';
import { silentLogger } from '../../src/ports/index.js';

/** Settles with `p`, or rejects naming `what` after `ms` (a hang fails the test instead of stalling it). */
async function within<T>(p: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('closing a listening app', () => {
  it('answers the request in flight, then closes its kept-alive connection without waiting for the timeout', async () => {
    const app = createHttpApp({ service: 'close', title: 'close', logger: silentLogger });
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    let finish!: () => void;
    const released = new Promise<void>((resolve) => (finish = resolve));
    app.get('/slow', async () => {
      arrived();
      await released;
      return { ok: true };
    });
    const listening = await listenApp(app);
    const agent = new Agent({ keepAlive: true });
    try {
      let socketClosed = false;
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${listening.url}/slow`, { agent }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('socket', (s) => s.on('close', () => (socketClosed = true)));
        req.on('error', reject);
        req.end();
      });
      await inFlight;
      const closed = listening.close();
      finish();
      const r = await answer;
      assert.deepEqual(
        [r.status, JSON.parse(r.body)],
        [200, { ok: true }],
        'the request in flight is answered',
      );
      // The keep-alive timeout is 65 s: a close that waited for it fails here.
      await within(closed, 'the close', 10_000);
      await within(
        new Promise<void>((resolve) => {
          const check = () => (socketClosed ? resolve() : setTimeout(check, 10));
          check();
        }),
        'the client seeing its connection closed',
        10_000,
      );
    } finally {
      agent.destroy();
    }
  });
});

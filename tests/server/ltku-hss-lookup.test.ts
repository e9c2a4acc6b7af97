// LtkuHss.subscribers (issue 11, batched job creation): the HSS failing the batch lookup (unreachable, 5xx) is the
// role's 'failed', which the campaign feeder takes as "fed again later" (not as its own stores failing); an HSS
// without the lookup route (404) is asked one IMSI at a time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpRequestFn } from '../../src/http/client.js';
import { HttpCallError } from '../../src/http/client.js';
import { HssClient } from '../../src/hss/client/index.js';
import { HssRoleError } from '../../src/server/hss-role.js';
import { LtkuHss } from '../../src/server/ltku-hss.js';

const IMSI = '001010000000001';

function hssAnswering(request: HttpRequestFn): LtkuHss {
  return new LtkuHss(new HssClient('http://127.0.0.1:1', { request, timeoutMs: 1_000 }));
}

const failed = (e: unknown) =>
  e instanceof HssRoleError &&
  e.kind === 'failed' &&
  /the HSS lookup of 1 subscribers failed/.test(e.message);

describe('LtkuHss.subscribers', () => {
  it('an HSS answering 503 or not reachable: HssRoleError failed', async () => {
    const unavailable = hssAnswering(async () => ({
      status: 503,
      statusText: 'Service Unavailable',
      body: '{"cause":"SYSTEM_FAILURE","title":"store down"}',
    }));
    await assert.rejects(unavailable.subscribers([IMSI]), failed);
    const unreachable = hssAnswering(async () => {
      throw new HttpCallError('unreachable', 'connection refused (ECONNREFUSED)');
    });
    await assert.rejects(unreachable.subscribers([IMSI]), failed);
  });

  it('an HSS without the lookup route (404): one GET per IMSI, an unknown one absent', async () => {
    const calls: string[] = [];
    const older = hssAnswering(async (r) => {
      const path = new URL(r.url).pathname;
      calls.push(`${r.method} ${path}`);
      if (r.method === 'POST' || !path.endsWith(IMSI))
        return { status: 404, statusText: 'Not Found', body: '{"cause":"USER_NOT_FOUND"}' };
      return {
        status: 200,
        statusText: 'OK',
        body: JSON.stringify({
          imsi: IMSI,
          iccid: '8988211000000000001',
          algorithm: 'milenage',
          activeVersion: 1,
          amf: '8000',
          sqn: 0,
          updatedAt: new Date(0).toISOString(),
        }),
      };
    });
    const other = '001010000000002';
    const found = await older.subscribers([IMSI, other]);
    assert.deepEqual([...found.keys()], [IMSI]);
    assert.equal(found.get(IMSI)?.activeVersion, 1);
    assert.deepEqual(calls, [
      'POST /admin/v1/subscribers/lookup',
      `GET /admin/v1/subscribers/${IMSI}`,
      `GET /admin/v1/subscribers/${other}`,
    ]);
  });
});

// cli/report: APDU names from headers only, the recorder keeps no data field or body, and the page escapes
// every text and draws one arrow per message (the browser check is tests/e2e/report.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  RunRecorder,
  apduName,
  apduHeader,
  httpCallName,
  jsonForScript,
  renderReport,
  type RunReport,
} from '../../src/cli/report/index.js';
import { command, type CardChannel } from '../../src/iso7816/index.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const SECRET_HEX = Buffer.from(SECRET).toString('hex');

function report(events: RunReport['events']): RunReport {
  return {
    title: 'test <run>',
    command: 'ltku test',
    startedAt: '2026-01-01T00:00:00.000Z',
    totalMs: 1,
    ok: true,
    facts: [['note', '<script>alert(1)</script>']],
    steps: [],
    jobHistory: [{ state: 'pending', at: 'now', detail: '"quoted" & <b>' }],
    keyVersions: [{ iccid: '8900', before: 1, after: 2 }],
    events,
  };
}

describe('cli/report', () => {
  it('names APDUs from the header; secure messaging stays opaque', () => {
    assert.equal(apduName(command(0x00, 0xca, 0xbf, 0x21, Uint8Array.of(0xa6, 0x00), 256)), 'GET DATA BF21');
    assert.equal(apduName(command(0x80, 0xca, 0x00, 0xe0)), 'GET DATA 00E0');
    assert.equal(apduName(command(0x00, 0xa4, 0x04, 0x00, SECRET.subarray(0, 8))), 'SELECT by AID');
    assert.equal(apduName(command(0x80, 0x2a, 0x01, 0x10, SECRET)), 'PERFORM SECURITY OPERATION');
    assert.equal(apduName(command(0x90, 0x2a, 0x01, 0x10, SECRET)), 'PERFORM SECURITY OPERATION (chained)');
    assert.equal(apduName(command(0x80, 0x82, 0x01, 0x11, SECRET)), 'MUTUAL AUTHENTICATE');
    assert.equal(apduName(command(0x00, 0x88, 0x00, 0x81, SECRET)), 'AUTHENTICATE');
    assert.equal(apduName(command(0x80, 0x88, 0x00, 0x00, SECRET)), 'INTERNAL AUTHENTICATE');
    assert.equal(apduName(command(0x80, 0xe2, 0x91, 0x00, Uint8Array.of(0xbf, 0x72, 0))), 'STORE DATA BF72');
    // Under secure messaging the data is ciphertext: its first bytes are not a tag.
    assert.equal(
      apduName(command(0x84, 0xe2, 0x91, 0x00, Uint8Array.of(0xbf, 0x70, ...SECRET))),
      'STORE DATA [secure messaging]',
    );
    assert.equal(apduHeader(command(0x84, 0xe2, 0x91, 0x00, SECRET, 256)), '84 E2 91 00, Lc 16, Le 256');
  });

  it('names HTTP calls by path', () => {
    assert.equal(httpCallName('PUT', '/admin/v1/subscribers/001010000000001/candidate'), 'stage candidate');
    assert.equal(
      httpCallName('POST', '/admin/v1/subscribers/001010000000001/candidate/commit'),
      'commit candidate',
    );
    assert.equal(httpCallName('POST', '/ram/v1/sessions/x'), 'RAM POST');
    assert.equal(httpCallName('DELETE', '/x'), 'DELETE /x');
  });

  it('records APDUs and HTTP calls without their data or bodies', async () => {
    const rec = new RunRecorder();
    const card: CardChannel = { transmit: async () => ({ data: SECRET, sw: 0x6a88 }) };
    const channel = rec.channel(card);
    const r = await channel.transmit(command(0x84, 0xe2, 0x91, 0x00, SECRET, 256));
    assert.equal(r.sw, 0x6a88, 'the answer passes through');
    const fake: typeof fetch = async () => new Response(SECRET, { status: 409 });
    const f = rec.fetch('server', 'hss', fake);
    await f('http://127.0.0.1:1/admin/v1/subscribers/1/candidate', {
      method: 'PUT',
      headers: { authorization: `Bearer ${SECRET_HEX}` },
      body: JSON.stringify({ k: SECRET_HEX }),
    });
    await assert.rejects(
      rec.fetch('ue', 'core', async () => Promise.reject(new TypeError(`fetch failed ${SECRET_HEX}`)))(
        'http://127.0.0.1:1/core/v1/detach',
        { method: 'POST' },
      ),
    );
    assert.equal(rec.messageCount, 6);
    const text = JSON.stringify(rec.events);
    assert.equal(text.toLowerCase().includes(SECRET_HEX), false, 'no data, body, header or error text kept');
    const [, answer, stage, stageAnswer, , failed] = rec.events as {
      label: string;
      ok?: boolean;
      detail: string;
    }[];
    assert.equal(answer.ok, false, '6A88 is a failing status word');
    assert.match(answer.detail, /6A88 \(referenced data not found\), 16 B/);
    assert.equal(stage.label, 'stage candidate');
    assert.equal(stageAnswer.ok, false, 'HTTP 409');
    assert.equal(failed.ok, false);
  });

  it('escapes every text and draws one arrow per message', () => {
    const events: RunReport['events'] = [
      { type: 'phase', atMs: 0, title: '<phase>' },
      {
        type: 'message',
        kind: 'http-request',
        from: 'ue',
        to: 'server',
        atMs: 1,
        label: '</script><x>',
        detail: 'a&b',
      },
      { type: 'message', kind: 'http-response', from: 'server', to: 'ue', atMs: 2, label: 'ok', detail: '"' },
    ];
    const html = renderReport(report(events));
    assert.equal(html.includes('<script>alert'), false);
    assert.equal(html.includes('<x>'), false);
    assert.equal(html.includes('<phase>'), false);
    assert.equal((html.match(/<g class="msg /g) ?? []).length, 2);
    assert.equal((html.match(/<\/script>/g) ?? []).length, 1, 'only the data block closes a script');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    const data = html.slice(html.indexOf('application/json'));
    assert.match(data, /\\u003c\/script\\u003e\\u003cx\\u003e/);
    assert.equal(jsonForScript({ a: '</script>' }), '{"a":"\\u003c/script\\u003e"}');
  });
});

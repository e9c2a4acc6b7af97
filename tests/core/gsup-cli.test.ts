// Issue 12: `ltku core serve --hlr gsup://HOST[:PORT]` and `ltku server serve --hss osmo-hlr --hlr-ctrl`: the
// option errors name the option (exit 2), before anything listens.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { parseCtrlEndpoint, parseGsupUrl } from '../../src/cli/osmo-hlr-endpoints.js';

describe('osmo-hlr endpoints on the command line', () => {
  it('parses gsup://HOST[:PORT] (default 4222) and CTRL HOST[:PORT] (default 4259)', () => {
    assert.deepEqual(parseGsupUrl('gsup://127.0.0.2', 'hlr'), { host: '127.0.0.2', port: 4222 });
    assert.deepEqual(parseGsupUrl('gsup://[::1]:14222', 'hlr'), { host: '::1', port: 14222 });
    assert.deepEqual(parseCtrlEndpoint('127.0.0.2', 'hlr-ctrl'), { host: '127.0.0.2', port: 4259 });
    assert.throws(
      () => parseGsupUrl('http://127.0.0.2:4222', 'hlr'),
      /--hlr: expected gsup:\/\/HOST\[:PORT\]/,
    );
    assert.throws(() => parseGsupUrl('gsup://127.0.0.2:0', 'hlr'), /--hlr/);
    assert.throws(() => parseCtrlEndpoint('127.0.0.2:99999', 'hlr-ctrl'), /--hlr-ctrl/);
  });

  it('core serve takes exactly one of --hss, --hlr', async () => {
    const both = await runCli(['core', 'serve', '--hss', 'http://127.0.0.1:1', '--hlr', 'gsup://127.0.0.1']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give only one of --hss, --hlr/);
    const none = await runCli(['core', 'serve']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--hss, --hlr/);
    const bad = await runCli(['core', 'serve', '--hlr', '127.0.0.1:4222']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--hlr: expected gsup:\/\//);
  });

  it('server serve takes --hlr-ctrl only with --hss osmo-hlr', async () => {
    const r = await runCli([
      'server',
      'serve',
      '--pki',
      '/nonexistent',
      '--hss',
      'http://127.0.0.1:1',
      '--hlr-ctrl',
      '127.0.0.1',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--hlr-ctrl: only with --hss osmo-hlr/);
    const bad = await runCli([
      'server',
      'serve',
      '--pki',
      '/nonexistent',
      '--hss',
      'osmo-hlr',
      '--hlr-ctrl',
      'x:y',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--hlr-ctrl/);
  });
});

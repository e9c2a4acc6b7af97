// The one HOST:PORT parser of the CLI options (--listen, --admin-listen, --tcp, --vpcd).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/cli/errors.js';
import { parseHostPort } from '../../src/cli/host-port.js';

describe('parseHostPort', () => {
  it('reads host and port, IPv6 in brackets, port 0 for a listener', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:8083', 'listen'), { host: '127.0.0.1', port: 8083 });
    assert.deepEqual(parseHostPort('[::1]:0', 'listen'), { host: '::1', port: 0 });
    assert.deepEqual(parseHostPort('localhost', 'vpcd', { defaultPort: 35963 }), {
      host: 'localhost',
      port: 35963,
    });
  });
  it('names the option when the text is not HOST:PORT', () => {
    for (const [text, rules] of [
      ['127.0.0.1', {}],
      [':80', {}],
      ['host:65536', {}],
      ['::1:80', {}],
      ['host:0', { connect: true }],
    ] as const) {
      assert.throws(
        () => parseHostPort(text, 'tcp', rules),
        (e) => e instanceof UsageError && e.message.startsWith('--tcp: expected HOST:PORT'),
        text,
      );
    }
  });
});

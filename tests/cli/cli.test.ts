// The dispatcher: `ltku --version`, `ltku help <command>`, and errors as one JSON object on stderr with --json.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/vectors.js';

describe('ltku dispatcher', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      assert.deepEqual([r.code, r.stdout], [0, `ltku ${version}\n`]);
    }
  });

  it('help <command> shows that command help, as <command> --help does', async () => {
    const help = await runCli(['help', 'hss', 'show']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /ltku hss show IMSI\|ICCID/);
    assert.equal(help.stdout, (await runCli(['hss', 'show', '--help'])).stdout);
    assert.match((await runCli(['help', 'demo'])).stdout, /ltku demo/);
    assert.match((await runCli(['help', 'aka'])).stdout, /aka generate/);
  });

  it('with --json, usage errors and failures are one JSON object on stderr', async () => {
    const usage = await runCli(['hss', 'show', '--json', '--nope']);
    assert.equal(usage.code, 2);
    assert.deepEqual(JSON.parse(usage.stderr).error.kind, 'usage');
    assert.equal(usage.stdout, '');
    const unknown = await runCli(['hss', 'nothing', '--json']);
    assert.equal(unknown.code, 2);
    assert.match(JSON.parse(unknown.stderr).error.message, /one of: add, import/);
    const failure = await runCli(['card', 'show', '/nonexistent/card.json', '--json']);
    assert.equal(failure.code, 1);
    assert.deepEqual(Object.keys(JSON.parse(failure.stderr).error), ['command', 'kind', 'message']);
    const plain = await runCli(['hss', 'show', '--nope']);
    assert.match(plain.stderr, /^ltku hss show: Unknown option/);
  });

  it('an unknown log level is a usage error naming --log-level or LTKU_LOG_LEVEL', async () => {
    for (const verb of ['hss', 'core', 'server', 'card']) {
      const r = await runCli([verb, 'serve', '--log-level', 'loud']);
      assert.equal(r.code, 2, verb);
      assert.match(r.stderr, /--log-level: "loud" is not one of trace, debug, info/, verb);
    }
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await main(['core', 'serve', '--hss', 'http://127.0.0.1:1'], {
      stdout: new PassThrough(),
      stderr,
      env: { LTKU_LOG_LEVEL: 'verbose' },
      stopSignal: new Promise(() => {}),
    });
    assert.equal(code, 2);
    assert.match(err, /LTKU_LOG_LEVEL: "verbose" is not one of/);
  });
});

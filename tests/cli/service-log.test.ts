// The buffered log of the serve commands (issue 11): lines reach stderr while the service is quiet, none is
// lost when it stops on SIGTERM, exits, or dies of an uncaught exception; an injected stream gets each line.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { openServiceLog } from '../../src/cli/commands/server/support/service-log.js';
import { ROOT } from '../helpers/vectors.js';

const BIN = join(ROOT, 'bin', 'ltku.js');
const SERVICE_LOG = pathToFileURL(
  join(ROOT, 'dist', 'src', 'cli', 'commands', 'server', 'support', 'service-log.js'),
);
const WAIT_MS = 20_000;
/** More than LOG_BUFFER_BYTES of lines, so some are written before the end and some are still buffered. */
const BURST_LINES = 500;

interface LogLine {
  readonly msg: string;
  readonly [field: string]: unknown;
}

function linesOf(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** A Node child running `code` (an ES module) with openServiceLog on its own stderr. */
function child(code: string): Promise<{ code: number | null; stderr: string }> {
  const script = `import { openServiceLog } from ${JSON.stringify(SERVICE_LOG.href)};\n${code}`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => p.on('close', (c) => resolve({ code: c, stderr })));
}

const dir = mkdtempSync(join(tmpdir(), 'ltku-service-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('serve commands: buffered log on stderr', () => {
  it('ltku hss serve: a line logged while quiet shows up, and "stopping" is the last line after SIGTERM', async () => {
    const p = spawn(
      process.execPath,
      [
        BIN,
        'hss',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--data-dir',
        dir,
        '--db',
        join(dir, 'hss.sqlite'),
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
    try {
      // the principals are loaded (and logged) at startup; nothing else is logged until the signal
      const quietLine = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), WAIT_MS);
        p.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (linesOf(stderr).some((l) => l.msg === 'principals loaded')) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
      assert.ok(quietLine, `no log line while the service was quiet: ${stderr}`);
      assert.match(stdout, /"url": "http:\/\/127\.0\.0\.1:\d+"/);
    } finally {
      p.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    const lines = linesOf(stderr);
    assert.deepEqual(
      [lines.at(-1)?.msg, lines.at(-1)?.signal, lines.at(-1)?.name],
      ['stopping', 'SIGTERM', 'hss'],
    );
  });

  it('every line of a burst is written, in order, when the service closes its log and returns', async () => {
    const r = await child(`
      const log = openServiceLog({ name: 't' }, process.stderr);
      for (let i = 0; i < ${BURST_LINES}; i++) log.logger.info({ i }, 'burst');
      log.close();
      log.close();
    `);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      linesOf(r.stderr).map((l) => l.i),
      Array.from({ length: BURST_LINES }, (_, i) => i),
    );
  });

  it('lines still buffered are written when the process exits or dies of an uncaught exception', async () => {
    const exit = await child(`
      const log = openServiceLog({ name: 't' }, process.stderr);
      for (let i = 0; i < ${BURST_LINES}; i++) log.logger.info({ i }, 'before exit');
      process.exit(3);
    `);
    assert.equal(exit.code, 3);
    assert.equal(linesOf(exit.stderr).length, BURST_LINES);
    assert.equal(linesOf(exit.stderr).at(-1)?.i, BURST_LINES - 1);

    const crash = await child(`
      const log = openServiceLog({ name: 't' }, process.stderr);
      log.logger.info('before the crash');
      log.logger.warn({ last: true }, 'last words');
      setTimeout(() => { throw new Error('boom'); }, 10);
    `);
    assert.notEqual(crash.code, 0);
    assert.match(crash.stderr, /Error: boom/);
    assert.deepEqual(
      linesOf(crash.stderr).map((l) => l.msg),
      ['before the crash', 'last words'],
    );
  });

  it('a line of level error is written at once: a SIGKILL right after it does not lose it', async () => {
    const killed = await child(`
      const log = openServiceLog({ name: 't' }, process.stderr);
      log.logger.info('before the alarm');
      log.logger.error({ event: 'security-alarm' }, 'the alarm');
      process.kill(process.pid, 'SIGKILL');
    `);
    assert.equal(killed.code, null, 'killed by the signal');
    assert.deepEqual(
      linesOf(killed.stderr).map((l) => l.msg),
      ['before the alarm', 'the alarm'],
    );
  });

  it('an injected stream (the tests capture) gets each line as it is logged', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const log = openServiceLog({ name: 't' }, stream);
    log.logger.info('one');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      linesOf(text).map((l) => l.msg),
      ['one'],
    );
    log.close();
  });
});

// DESIGN.md 5, 8 / issue 11: SQLite serves one server instance. A second instance on the same file is refused
// with a message naming the holder and the way out (PostgreSQL); the lock dies with its process, however it
// dies (SIGKILL included), so a restart after a crash is never refused. Checked with the lock alone (a child
// process holding it) and with two real `ltku server serve` processes.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerConfigError } from '../../src/server/index.js';
import { SqliteInstanceLock } from '../../src/server/sqlite-instance-lock.js';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-sqlite-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const BIN = join(ROOT, 'bin', 'ltku.js');
const ADMIN_LINE = /admin (http:\/\/127\.0\.0\.1:[0-9]+)/;
const LOCK_MODULE = pathToFileURL(join(ROOT, 'dist', 'src', 'server', 'sqlite-instance-lock.js')).href;

/** A child process that takes the lock, says so, and holds it until killed. */
function holder(db: string): Promise<ChildProcess> {
  const code = `const { SqliteInstanceLock } = await import(${JSON.stringify(LOCK_MODULE)});
SqliteInstanceLock.acquire(${JSON.stringify(db)}); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve(child));
    child.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('one server instance per SQLite file', () => {
  it('a second holder is refused naming the first; after a SIGKILL the lock is free again', async () => {
    const db = join(dir, 'a.sqlite');
    const child = await holder(db);
    try {
      assert.throws(
        () => SqliteInstanceLock.acquire(db),
        (e: Error) =>
          e instanceof ServerConfigError &&
          e.message.includes(
            `database ${db} is in use by another ltku server instance (process ${child.pid}`,
          ) &&
          /PostgreSQL/.test(e.message),
      );
    } finally {
      await killed(child);
    }
    const lock = SqliteInstanceLock.acquire(db);
    // In one process too: a second instance (another connection) is refused while this one holds it.
    assert.throws(() => SqliteInstanceLock.acquire(db), /is in use by another ltku server instance/);
    lock.release();
    SqliteInstanceLock.acquire(db).release();
  });

  it(
    '`ltku server serve` refuses to start on a SQLite file another instance serves',
    { timeout: 60_000 },
    async () => {
      const pki = join(dir, 'pki');
      for (const args of [
        ['pki', 'init', '--dir', pki],
        ['pki', 'issue', '--dir', pki, '--role', 'oce', '--format', 'gp', '--out', join(pki, 'oce')],
      ]) {
        const r = await runCli(args);
        assert.equal(r.code, 0, r.stderr);
      }
      const data = join(dir, 'data');
      const args = [
        ...['server', 'serve', '--pki', pki, '--hss', 'http://127.0.0.1:9', '--data-dir', data],
        ...['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'],
      ];
      const first = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const adminUrl = await new Promise<string>((resolve, reject) => {
          let out = '';
          first.stdout!.on('data', (d: Buffer) => {
            const m = ADMIN_LINE.exec((out += d.toString()));
            if (m !== null) resolve(m[1]);
          });
          first.stderr!.on('data', (d: Buffer) => (out += d.toString()));
          first.on('exit', (c) => reject(new Error(`first server exited ${c}: ${out}`)));
        });
        // The campaigns are wired in: the admin API answers the operator.
        const token = readFileSync(join(data, 'credentials', 'operator.token'), 'utf8').trim();
        const list = await fetch(`${adminUrl}/admin/v1/campaigns`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.deepEqual([list.status, await list.json()], [200, { campaigns: [] }]);
        const second = await runCli(args);
        assert.notEqual(second.code, 0);
        assert.match(second.stderr, /server\.sqlite is in use by another ltku server instance \(process \d+/);
        assert.match(second.stderr, /--db postgres:\/\//);
        // The instance's name and campaign lease: a bad one is named (exit 2) before anything is opened.
        const badName = await runCli([...args, '--instance-name', 'a b']);
        assert.deepEqual(
          [badName.code, /--instance-name: 1 to 200 printable/.test(badName.stderr)],
          [2, true],
        );
        const badLease = await runCli([...args, '--campaign-lease-seconds', '1']);
        assert.deepEqual(
          [badLease.code, /--campaign-lease-seconds: 1 is outside 5\.\.3600/.test(badLease.stderr)],
          [2, true],
        );
      } finally {
        await killed(first);
      }
      // Killed, not stopped: the next start finds no stale lock.
      let stop: (s: string) => void = () => {};
      const third = runCli(args, new Promise<string>((r) => (stop = r)));
      await new Promise((r) => setTimeout(r, 1500));
      stop('SIGTERM');
      const r = await third;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /server listening/);
    },
  );
});

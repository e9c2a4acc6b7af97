// Issue 9, finding 8 (DESIGN.md 7): a card image is served or opened for writing by one process at a time.
// The lock module in-process (create, refuse, stale takeover, release), the store refusing to write without
// its lock, the key update a second writer can no longer undo, and `ltku card serve` run twice as processes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../../src/crypto/index.js';
import { GetResponseChannel } from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { TcpCardChannel } from '../../src/ue/index.js';
import {
  CardImageError,
  CardImageLock,
  VirtualCard,
  encodeCardImage,
  loadCardImage,
  lockPathOf,
  openCardImageFile,
} from '../../src/card/index.js';
import { ROOT } from '../helpers/vectors.js';
import { runCli } from '../helpers/cli.js';
import {
  NOW,
  newKeys,
  openSession,
  readDigest,
  request,
  selectIsd,
  setup,
  storeData,
  type NewKeys,
  type Setup,
} from './support/fixture.js';

const BIN = join(ROOT, 'bin', 'ltku.js');
const STARTUP_MS = 20_000;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ltku-lock-'));
}

/** A pid that was just used and is no longer alive. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { encoding: 'utf8' });
  assert.equal(child.status, 0);
  return child.pid;
}

function writeLock(imagePath: string, holder: { pid: number; hostname?: string; token?: string }): void {
  const text = JSON.stringify({
    format: 'ltku-card-lock/1',
    pid: holder.pid,
    hostname: holder.hostname ?? hostname(),
    startedAt: '2030-01-01T00:00:00.000Z',
    token: holder.token ?? 'someone-else',
  });
  writeFileSync(lockPathOf(imagePath), text, { mode: 0o600 });
}

function lockHolder(imagePath: string): { pid: number; hostname: string; startedAt: string } {
  return JSON.parse(readFileSync(lockPathOf(imagePath), 'utf8'));
}

/** A card image file (the fixture's seeded card) and the setup that knows its keys. */
function imageFile(dir: string, seed = 'lock'): { path: string; s: Setup } {
  const s = setup(seed);
  const path = join(dir, 'card.json');
  writeFileSync(path, encodeCardImage(s.image), { mode: 0o600 });
  return { path, s };
}

/** Opens the file as the CLI does (locked) and points the setup's channel at it. */
function openLive(s: Setup, path: string): VirtualCard {
  const { image, store } = openCardImageFile(path);
  s.card = new VirtualCard(image, { store, clock: new FixedClock(NOW), rng: s.rng });
  s.channel = new GetResponseChannel(s.card);
  return s.card;
}

async function keyUpdate(s: Setup, profile: number, keys: NewKeys, keyVersion = 2): Promise<number> {
  const scp = await openSession(s);
  const digest = await readDigest(scp);
  const r = await storeData(scp, request(scp, s.image.profiles[profile].iccid, keys, { digest, keyVersion }));
  scp.close();
  return r.sw;
}

describe('card image lock (in-process)', () => {
  it('is a 0600 file beside the image naming pid, host and start time; one holder per process; released on release', () => {
    const dir = tempDir();
    try {
      const { path } = imageFile(dir);
      const lock = CardImageLock.acquire(path);
      assert.equal(lock.lockPath, `${path}.lock`);
      assert.equal(statSync(lock.lockPath).mode & 0o777, 0o600);
      const h = lockHolder(path);
      assert.deepEqual([h.pid, h.hostname], [process.pid, hostname()]);
      assert.ok(!Number.isNaN(Date.parse(h.startedAt)));
      assert.throws(
        () => CardImageLock.acquire(path),
        (e: unknown) =>
          e instanceof CardImageError &&
          e.message.includes(path) &&
          /already open in this process/.test(e.message),
      );
      lock.release();
      assert.ok(!existsSync(lock.lockPath), 'the lock file is gone');
      lock.release(); // idempotent
      const again = CardImageLock.acquire(path);
      again.release();
      assert.throws(() => openCardImageFile(join(dir, 'no', 'card.json')), /cannot read card image .*ENOENT/);
      assert.throws(() => openCardImageFile(join(dir, 'none.json')), /cannot read card image .*ENOENT/);
      assert.ok(!existsSync(join(dir, 'none.json.lock')), 'a failed open leaves no lock');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a lock of a live process is refused with a message naming the image and the pid', () => {
    const dir = tempDir();
    try {
      const { path } = imageFile(dir);
      writeLock(path, { pid: process.ppid }); // the test runner: alive, on this host
      assert.throws(
        () => CardImageLock.acquire(path),
        (e: unknown) =>
          e instanceof CardImageError &&
          e.message.includes(path) &&
          e.message.includes(`process ${process.ppid}`) &&
          e.message.includes(`${path}.lock`),
      );
      assert.equal(lockHolder(path).pid, process.ppid, 'the holder keeps its lock');
      assert.throws(
        () => openCardImageFile(path),
        CardImageError,
        'opening for writing takes the lock first',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a lock from another host is never judged stale; an unreadable lock is refused, not taken', () => {
    const dir = tempDir();
    try {
      const { path } = imageFile(dir);
      writeLock(path, { pid: deadPid(), hostname: `not-${hostname()}` });
      assert.throws(() => CardImageLock.acquire(path), /in use by process \d+ on not-/);
      writeFileSync(lockPathOf(path), '');
      assert.throws(() => CardImageLock.acquire(path), /cannot be read; remove it/);
      assert.equal(readFileSync(lockPathOf(path), 'utf8'), '', 'left as it was');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stale lock (dead pid, or this pid from an earlier process) is taken over and reported', () => {
    const dir = tempDir();
    try {
      const { path } = imageFile(dir);
      const dead = deadPid();
      for (const pid of [dead, process.pid]) {
        writeLock(path, { pid });
        const told: string[] = [];
        const lock = CardImageLock.acquire(path, { onStale: (m) => told.push(m) });
        assert.equal(told.length, 1);
        assert.match(told[0], new RegExp(`stale lock of process ${pid}`));
        assert.ok(told[0].includes(path));
        assert.equal(lockHolder(path).pid, process.pid);
        lock.release();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the store writes only while it holds the lock: after close, or if the lock was replaced, the card answers 6581', async () => {
    const dir = tempDir();
    try {
      const { path, s } = imageFile(dir);
      const card = openLive(s, path);
      const before = readFileSync(path, 'utf8');
      writeLock(path, { pid: process.ppid }); // someone removed ours by hand and another process locked
      assert.equal(await keyUpdate(s, 0, newKeys(new SeededRandom('x'))), 0x6581);
      assert.equal(readFileSync(path, 'utf8'), before, 'nothing written');
      card.close();
      assert.equal(lockHolder(path).pid, process.ppid, 'close leaves a lock that is not ours');
      rmSync(lockPathOf(path));
      const other = openLive(s, path);
      other.close();
      assert.ok(!existsSync(lockPathOf(path)));
      assert.equal(await keyUpdate(s, 0, newKeys(new SeededRandom('y'))), 0x6581, 'closed: no write');
      assert.equal(readFileSync(path, 'utf8'), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second writer can no longer undo a key update: it is refused while the first holds the image, and reads the new keys after', async () => {
    const dir = tempDir();
    try {
      const { path, s } = imageFile(dir);
      const first = openLive(s, path);
      const fresh = newKeys(new SeededRandom('first-update'));
      assert.equal(await keyUpdate(s, 0, fresh), 0x9000);
      assert.deepEqual(loadCardImage(path).profiles[0].keys.k, fresh.k);
      // The second writer of finding 8 would load the image now and later save its old copy over it.
      assert.throws(() => openCardImageFile(path), /already open in this process/);
      const cli = await runCli(['card', 'apdu', path, '00A4040008A000000151000000']);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /card image .*card\.json is already open in this process/);
      first.close();
      // Now it opens, sees the new keys and writes (a key update of the other profile): profile 0 stays new.
      const second = openLive(s, path);
      assert.deepEqual(second.image.profiles[0].keys.k, fresh.k);
      const other = newKeys(new SeededRandom('second-update'));
      assert.equal(await keyUpdate(s, 1, other), 0x9000);
      second.close();
      const final = loadCardImage(path);
      assert.deepEqual(final.profiles[0].keys.k, fresh.k);
      assert.deepEqual(final.profiles[0].keys.opc, fresh.opc);
      assert.deepEqual(final.profiles[1].keys.k, other.k);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface Served {
  readonly child: ChildProcess;
  readonly host: string;
  readonly port: number;
  output(): string;
}

/** `ltku card serve IMAGE --tcp 127.0.0.1:0` as a process, once it says where it listens. */
function serve(path: string, logLevel = 'silent'): Promise<Served> {
  const child = spawn(
    process.execPath,
    [BIN, 'card', 'serve', path, '--tcp', '127.0.0.1:0', '--log-level', logLevel],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`card serve did not start: ${out}`));
    }, STARTUP_MS);
    let started = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on tcp ([0-9.]+):(\d+)/.exec(out);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, host: m[1], port: Number(m[2]), output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`card serve exited ${code}: ${out}`));
    });
  });
}

/** Runs `ltku ARGS` to its end. */
function ltku(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** Sends a signal and waits for the process to end. */
function stop(
  s: Served,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) {
      resolve({ code: s.child.exitCode, signal: s.child.signalCode });
      return;
    }
    s.child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    s.child.kill(signal);
  });
}

function assertRefused(r: { code: number | null; stderr: string }, path: string, pid: number): void {
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.stderr.includes(`card image ${path} is in use by process ${pid}`), r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('ltku card serve twice on one image (processes)', () => {
  it('the second fails clearly, the first keeps serving and its key update stays; after it exits the lock is free', async () => {
    const dir = tempDir();
    const running: Served[] = [];
    try {
      const { path, s } = imageFile(dir, 'lock-processes');
      const first = await serve(path);
      running.push(first);
      assert.equal(lockHolder(path).pid, first.child.pid);

      assertRefused(await ltku(['card', 'serve', path, '--tcp', '127.0.0.1:0']), path, first.child.pid!);

      // The first still serves: a key update over TCP.
      const tcp = await TcpCardChannel.connect(first.host, first.port);
      const fresh = newKeys(new SeededRandom('served-update'));
      try {
        s.channel = new GetResponseChannel(tcp);
        assert.equal((await selectIsd(s.channel)).sw, 0x9000);
        assert.equal(await keyUpdate(s, 0, fresh), 0x9000);
      } finally {
        tcp.close();
      }
      assert.deepEqual(loadCardImage(path).profiles[0].keys.k, fresh.k);

      // Any other writer is refused too, and cannot put the old keys back.
      assertRefused(await ltku(['card', 'apdu', path, '00A4040008A000000151000000']), path, first.child.pid!);
      assertRefused(
        await ltku([
          'ue',
          'attach',
          '--card',
          path,
          '--iccid',
          s.image.profiles[0].iccid,
          '--core',
          'http://127.0.0.1:9',
        ]),
        path,
        first.child.pid!,
      );

      assert.deepEqual(await stop(first), { code: 0, signal: null });
      assert.ok(!existsSync(lockPathOf(path)), 'the lock is released when the server stops');
      const after = await ltku(['card', 'apdu', path, '00A4040008A000000151000000', '80CA00E000']);
      assert.equal(after.code, 0, after.stderr);
      assert.ok(!existsSync(lockPathOf(path)));
      const final = loadCardImage(path);
      assert.deepEqual(final.profiles[0].keys.k, fresh.k);
      assert.equal(final.profiles[0].keyVersion, 2);

      const again = await serve(path);
      running.push(again);
      assert.deepEqual(await stop(again), { code: 0, signal: null });
    } finally {
      for (const r of running) await stop(r, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a server killed outright leaves a stale lock that the next one takes over (and says so); SIGHUP releases it', async () => {
    const dir = tempDir();
    const running: Served[] = [];
    try {
      const { path } = imageFile(dir, 'lock-stale');
      const first = await serve(path);
      running.push(first);
      assert.deepEqual(await stop(first, 'SIGKILL'), { code: null, signal: 'SIGKILL' });
      assert.equal(lockHolder(path).pid, first.child.pid, 'SIGKILL leaves the lock behind');

      const second = await serve(path, 'warn');
      running.push(second);
      assert.match(second.output(), new RegExp(`took over the stale lock of process ${first.child.pid}`));
      assert.equal(lockHolder(path).pid, second.child.pid);

      // No command handles SIGHUP: the lock is released before the signal ends the process.
      assert.deepEqual(await stop(second, 'SIGHUP'), { code: null, signal: 'SIGHUP' });
      assert.ok(!existsSync(lockPathOf(path)));

      writeLock(path, { pid: deadPid() });
      const apdu = await ltku(['card', 'apdu', path, '00A4040008A000000151000000']);
      assert.equal(apdu.code, 0, apdu.stderr);
      assert.match(apdu.stderr, /ltku: warning: card image .* took over the stale lock of process \d+/);
      assert.ok(!existsSync(lockPathOf(path)));
    } finally {
      for (const r of running) await stop(r, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Runs a real osmo-hlr (1.5) for tests and demos: a config binding GSUP, CTRL and VTY to one loopback address
// (its ports are fixed: GSUP 4222, gsup.h OSMO_GSUP_PORT; CTRL 4259, ctrl/ports.h OSMO_CTRL_PORT_HLR; VTY 4258,
// vty/ports.h OSMO_VTY_PORT_HLR), a database in the given directory, a wait until CTRL answers, a clean stop.
// Processes on one machine pick distinct addresses 127.0.0.N through lock files in the OS temp directory, and a
// start that loses a bind race to a foreign process moves on to the next address.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants as fsConstants,
  mkdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { silentLogger, type Logger } from '../ports/index.js';
import { CtrlClient } from './ctrl/client.js';
import type { Endpoint } from './endpoint.js';
import { OsmoError } from './errors.js';

export const OSMO_HLR_GSUP_PORT = 4222;
export const OSMO_HLR_CTRL_PORT = 4259;
export const OSMO_HLR_VTY_PORT = 4258;
export const OSMO_HLR_CONFIG_FILE = 'osmo-hlr.cfg';
export const OSMO_HLR_DATABASE_FILE = 'hlr.db';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5000;
const STDERR_TAIL = 4000;

export interface OsmoHlr {
  readonly ctrl: Endpoint;
  readonly gsup: Endpoint;
  readonly vty: Endpoint;
  readonly dir: string;
  stop(): Promise<void>;
}

export interface StartOsmoHlrOptions {
  /** Directory for the config and the database (created if missing; an existing hlr.db is reused). */
  readonly dir: string;
  /** Address for GSUP, CTRL and VTY; default: the first free 127.0.0.N, N = 2..254. */
  readonly bindIp?: string;
  readonly logger?: Logger;
}

function findExecutable(): string | undefined {
  const candidates = [
    '/usr/bin/osmo-hlr',
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'osmo-hlr')),
  ];
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Whether /usr/bin/osmo-hlr or an osmo-hlr on PATH exists. */
export function osmoHlrInstalled(): boolean {
  return findExecutable() !== undefined;
}

/** osmo-hlr 1.5 config syntax (doc/examples/osmo-hlr.cfg): log to stderr, bind VTY, CTRL and GSUP to `ip`. */
export function osmoHlrConfig(ip: string): string {
  return [
    'log stderr',
    ' logging filter all 1',
    ' logging color 0',
    ' logging print category 1',
    ' logging print level 1',
    ' logging level main notice',
    ' logging level db notice',
    ' logging level auc notice',
    'line vty',
    ` bind ${ip}`,
    'ctrl',
    ` bind ${ip}`,
    'hlr',
    ' gsup',
    `  bind ip ${ip}`,
    '',
  ].join('\n');
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function portsFree(host: string): Promise<boolean> {
  for (const port of [OSMO_HLR_GSUP_PORT, OSMO_HLR_CTRL_PORT, OSMO_HLR_VTY_PORT]) {
    if (!(await portFree(host, port))) return false;
  }
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An address lock among processes of this machine: a file holding our pid, stale when that pid is gone. */
function lockAddress(ip: string): (() => void) | undefined {
  const path = join(tmpdir(), `ltku-osmo-hlr-${ip}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(path, 'utf8'));
      } catch {
        continue;
      }
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) return undefined;
      try {
        unlinkSync(path); // stale
      } catch {
        // someone else removed it
      }
    }
  }
  return undefined;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderrTail(): string;
}

function launch(exe: string, dir: string, logger: Logger): Running {
  const child = spawn(exe, ['-c', OSMO_HLR_CONFIG_FILE, '-l', OSMO_HLR_DATABASE_FILE], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const collect = (d: Buffer) => {
    const s = d.toString();
    tail = (tail + s).slice(-STDERR_TAIL);
    for (const line of s.split('\n')) if (line.trim()) logger.debug({ osmoHlr: line.trim() }, 'osmo-hlr');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  return { child, exited, stderrTail: () => tail };
}

/** Polls CTRL until any answer (a value or a CTRL error both prove it is serving), the process exits, or time runs out. */
async function waitForCtrl(ctrl: Endpoint, running: Running): Promise<'up' | 'exited' | 'timeout'> {
  let exited = false;
  void running.exited.then(() => (exited = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) return 'exited';
    try {
      const client = await CtrlClient.connect(ctrl, { timeoutMs: 1000 });
      try {
        await client.get('subscriber.by-id-0.info');
      } catch (e) {
        if (!(e instanceof OsmoError && e.kind === 'ctrl')) throw e;
      } finally {
        await client.close();
      }
      return exited ? 'exited' : 'up';
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return 'timeout';
}

async function terminate(running: Running): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await running.exited;
  clearTimeout(timer);
}

/**
 * Starts osmo-hlr with its config and database in `dir` and resolves once CTRL answers. OsmoError('process')
 * when osmo-hlr is not installed, no address is free, or it exits or stays silent (with its last log lines).
 */
export async function startOsmoHlr(o: StartOsmoHlrOptions): Promise<OsmoHlr> {
  const exe = findExecutable();
  if (exe === undefined)
    throw new OsmoError('process', 'osmo-hlr is not installed: apt-get install osmo-hlr');
  const logger = o.logger ?? silentLogger;
  mkdirSync(o.dir, { recursive: true });
  const candidates =
    o.bindIp !== undefined ? [o.bindIp] : Array.from({ length: 253 }, (_, i) => `127.0.0.${i + 2}`);
  let lastFailure =
    o.bindIp !== undefined
      ? `cannot start osmo-hlr on ${o.bindIp}: ports 4222, 4258 or 4259 in use there, or another start holds it`
      : 'cannot start osmo-hlr: no loopback address 127.0.0.2..254 with ports 4222, 4258 and 4259 free';
  for (const ip of candidates) {
    const unlock = lockAddress(ip);
    if (!unlock) continue;
    if (!(await portsFree(ip))) {
      unlock();
      continue;
    }
    writeFileSync(join(o.dir, OSMO_HLR_CONFIG_FILE), osmoHlrConfig(ip));
    const running = launch(exe, o.dir, logger);
    const onExit = () => running.child.kill('SIGKILL');
    process.once('exit', onExit);
    const ctrl = { host: ip, port: OSMO_HLR_CTRL_PORT };
    const state = await waitForCtrl(ctrl, running);
    if (state === 'up') {
      logger.info({ ip, dir: o.dir }, 'osmo-hlr started');
      let stopped: Promise<void> | undefined;
      return {
        ctrl,
        gsup: { host: ip, port: OSMO_HLR_GSUP_PORT },
        vty: { host: ip, port: OSMO_HLR_VTY_PORT },
        dir: o.dir,
        stop: () =>
          (stopped ??= terminate(running).then(() => {
            process.off('exit', onExit);
            unlock();
          })),
      };
    }
    await terminate(running);
    process.off('exit', onExit);
    unlock();
    const tail = running.stderrTail().trim().split('\n').slice(-5).join(' | ');
    lastFailure =
      state === 'exited'
        ? `osmo-hlr exited on ${ip} (code ${running.child.exitCode}): ${tail}`
        : `osmo-hlr on ${ip}: CTRL did not answer within ${START_TIMEOUT_MS} ms: ${tail}`;
    // A bind race lost to a foreign process: try the next address (only when the address was ours to pick).
    if (state === 'timeout' || o.bindIp !== undefined || !/bind|Address already in use/i.test(tail)) break;
  }
  throw new OsmoError('process', lastFailure);
}

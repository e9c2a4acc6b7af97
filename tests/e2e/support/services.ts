// `ltku ... serve` as child processes for the e2e tests: start one and wait for the line saying where it
// listens, stop it with SIGTERM (clean exit), or kill it with SIGKILL (a crash); a command in the background
// (`ltku fleet run`), free ports for services whose arguments must name them before they start.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../../helpers/vectors.js';

export const BIN = join(ROOT, 'bin', 'ltku.js');
const STARTUP_MS = 20_000;
const STOP_MS = 10_000;

export interface Service {
  readonly child: ChildProcess;
  readonly address: string;
  /** The other groups of the pattern (e.g. the admin URL). */
  readonly groups: string[];
  output(): string;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export interface ServeOptions {
  /** Node's own flags before the script (e.g. --cpu-prof --cpu-prof-dir DIR for the fleet bench). */
  readonly nodeFlags?: readonly string[];
  /** How long it may take to print its line (default 20 s; a large --inventory takes longer). */
  readonly startupMs?: number;
}

/** Starts `ltku ARGS` and waits for the line that says where it listens. */
export function serve(args: string[], pattern: RegExp, options: ServeOptions = {}): Promise<Service> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ltku ${args.slice(0, 2).join(' ')} did not start: ${out}`));
    }, options.startupMs ?? STARTUP_MS);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1], groups: m.slice(2), output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ltku ${args.slice(0, 2).join(' ')} exited ${code}: ${out}`));
    });
  });
}

/** Stops a service with SIGTERM and returns its exit code (null if a signal ended it). */
export function stop(s: Service): Promise<number | null> {
  if (exited(s.child)) return Promise.resolve(s.child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => s.child.kill('SIGKILL'), STOP_MS);
    s.child.removeAllListeners('exit');
    s.child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    s.child.kill('SIGTERM');
  });
}

/** A crash: SIGKILL, resolved once the process is gone (and reaped, so its pid no longer answers). */
export function kill(s: Service): Promise<void> {
  if (exited(s.child)) return Promise.resolve();
  return new Promise((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill('SIGKILL');
  });
}

/** `n` distinct free loopback ports (bound at port 0, then released) for services an argument must name first. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command running on its own (`ltku fleet run`): its output so far, and its end. */
export interface Background {
  readonly child: ChildProcess;
  readonly finished: Promise<Finished>;
  stdout(): string;
  stderr(): string;
}

/** Starts `ltku ARGS` in the background; `finished` resolves when it exits (whatever its code). */
export function background(args: string[]): Background {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const finished = new Promise<Finished>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err })),
  );
  return { child, finished, stdout: () => out, stderr: () => err };
}

/** The last `lines` lines of a process's output (for a failure message). */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

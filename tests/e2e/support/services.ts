// `ltku ... serve` as child processes for the e2e tests: start one and wait for the line saying where it
// listens, stop it with SIGTERM (clean exit), or kill it with SIGKILL (a crash).
import { spawn, type ChildProcess } from 'node:child_process';
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

/** Starts `ltku ARGS` and waits for the line that says where it listens. */
export function serve(args: string[], pattern: RegExp): Promise<Service> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ltku ${args.slice(0, 2).join(' ')} did not start: ${out}`));
    }, STARTUP_MS);
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

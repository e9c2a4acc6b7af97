// Runs other `ltku` commands in-process with captured output: the demo sets up with the same commands a user
// would type, so what it shows is what the tools do.
import { PassThrough } from 'node:stream';
import { main } from '../../../main.js';

export async function ltku(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(args, { stdout, stderr, env, stopSignal: new Promise(() => {}) });
  if (code !== 0) throw new Error(`ltku ${args.slice(0, 2).join(' ')} exited ${code}: ${err.trim()}`);
  return out;
}

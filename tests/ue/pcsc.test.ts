// The UE agent through PC/SC: pcscd with vsmartcard's vpcd driver, the virtual card connected to it as a vpcd
// client on the second slot (port 35964, reader "Virtual PCD 00 01"; tests/card uses the first), the binding
// '@pokusew/pcsclite', and a whole attach through the core. Skipped (with a message) when pcscd or the binding
// is not installed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connectVpcd } from '../../src/card/index.js';
import { GetResponseChannel, VPCD_DEFAULT_PORT } from '../../src/iso7816/index.js';
import { silentLogger } from '../../src/ports/index.js';
import { attach, PcscCardChannel } from '../../src/ue/index.js';
import { newCard, startNetwork, type Network } from '../core/support/network.js';

const PCSCD = '/usr/sbin/pcscd';
function bindingMissing(): string | undefined {
  try {
    createRequire(import.meta.url).resolve('@pokusew/pcsclite');
    return undefined;
  } catch {
    return '@pokusew/pcsclite is not installed';
  }
}
const missing = !existsSync(PCSCD) ? 'pcscd is not installed' : bindingMissing();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Node 20's summary counts skipped tests, not skipped suites: when something is missing, one skipped test
// stands for the suite (and its hooks do not run).
const suiteIfPresent = (title: string, body: () => void) =>
  missing === undefined ? describe(title, body) : it(title, { skip: `skipped: ${missing}` }, () => {});

suiteIfPresent('UE attach through PC/SC (pcscd + vpcd)', () => {
  let net: Network;
  let pcscd: ChildProcess | undefined;
  before(async () => {
    net = await startNetwork({ seed: 'pcsc' });
    if (spawnSync('pgrep', ['-x', 'pcscd']).status !== 0) {
      pcscd = spawn(PCSCD, ['--foreground'], { stdio: 'ignore' });
      for (let i = 0; i < 50 && !existsSync('/run/pcscd/pcscd.comm'); i++) await sleep(100);
    }
  });
  after(async () => {
    await net.close();
    if (pcscd !== undefined) {
      const exited = new Promise((r) => pcscd!.once('exit', r));
      pcscd.kill('SIGTERM');
      await Promise.race([exited, sleep(3000).then(() => pcscd!.kill('SIGKILL'))]);
    }
  });

  it('attaches a card served to vpcd', { timeout: 60_000 }, async () => {
    const ue = newCard('pcsc-card', { profiles: 1 });
    await net.provision(ue.image);
    const transport = connectVpcd(ue.card, '127.0.0.1', VPCD_DEFAULT_PORT + 1, silentLogger, 300);
    let pcsc: PcscCardChannel | undefined;
    try {
      pcsc = await PcscCardChannel.open('Virtual PCD 00 01', 30_000);
      const p = ue.image.profiles[0];
      const r = await attach(new GetResponseChannel(pcsc), { iccid: p.iccid, coreUrl: net.coreUrl });
      assert.deepEqual([r.state, r.rounds, r.kseafConfirmed], ['attached', ['success'], true]);
    } finally {
      await pcsc?.close();
      await transport.close();
    }
  });
});

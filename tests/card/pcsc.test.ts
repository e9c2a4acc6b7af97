// A PC/SC client nobody here wrote drives the card: pcscd with vsmartcard's vpcd driver, the card connected
// to it as a vpcd client, and pcsc-tools' `scriptor` sending SELECT ISD, GET DATA BF21, SELECT USIM,
// AUTHENTICATE. Skipped (with a message) only when pcscd or scriptor is not installed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { concatBytes, fromHex, toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { generateVector, milenage } from '../../src/aka/index.js';
import { connectVpcd } from '../../src/card/index.js';
import { VPCD_DEFAULT_PORT } from '../../src/iso7816/index.js';
import { silentLogger } from '../../src/ports/index.js';
import { setup } from './support/fixture.js';

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}
const PCSCD = ['/usr/sbin/pcscd', 'pcscd'].find((c) =>
  c.startsWith('/') ? spawnSync('test', ['-x', c]).status === 0 : which(c),
);
const missing =
  PCSCD === undefined
    ? 'pcscd is not installed'
    : !which('scriptor')
      ? 'scriptor (pcsc-tools) is not installed'
      : undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const spaced = (hex: string) => hex.toUpperCase().replace(/(..)(?!$)/g, '$1 ');

/** Runs scriptor on `apdus` (asynchronously: the card answers from this same process); the responses in hex. */
function scriptor(apdus: string[]): Promise<{ responses: string[]; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('scriptor', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', () => {
      clearTimeout(timer);
      // scriptor wraps long responses over several lines: "< 6F 10 ... \n ... 90 00 : Normal processing."
      const responses = [...output.matchAll(/^< ([0-9A-Fa-f\s]+?) : /gm)].map((m) =>
        m[1].replace(/\s+/g, '').toUpperCase(),
      );
      resolve({ responses, output });
    });
    child.stdin.end(apdus.map(spaced).join('\n') + '\n');
  });
}

// Node 20's summary counts skipped tests, not skipped suites: when something is missing, one skipped test
// stands for the suite (and its hooks do not run).
const suiteIfPresent = (title: string, body: () => void) =>
  missing === undefined ? describe(title, body) : it(title, { skip: `skipped: ${missing}` }, () => {});

suiteIfPresent('PC/SC through pcscd + vpcd + scriptor', () => {
  it('SELECT ISD, GET DATA BF21, SELECT USIM, AUTHENTICATE', { timeout: 60_000 }, async () => {
    const s = setup('pcsc', { curves: [(await import('../../src/crypto/index.js')).P256] });
    const running = spawnSync('pgrep', ['-x', 'pcscd']).status === 0;
    let pcscd: ChildProcess | undefined;
    if (!running) {
      pcscd = spawn(PCSCD!, ['--foreground'], { stdio: 'ignore' });
    }
    const transport = connectVpcd(s.card, '127.0.0.1', VPCD_DEFAULT_PORT, silentLogger, 300);
    try {
      const p = s.image.profiles[0];
      const v = generateVector(
        milenage(p.keys.k, p.keys.opc),
        new SeededRandom('rand').randomBytes(16),
        33n,
        Uint8Array.of(0x80, 0),
      );
      const auth = concatBytes(
        Uint8Array.of(0x00, 0x88, 0x00, 0x81, 2 + 16 + v.autn.length, 16),
        v.rand,
        Uint8Array.of(v.autn.length),
        v.autn,
        Uint8Array.of(0),
      );
      const apdus = [
        '00A4040008A000000151000000',
        '00CABF2106A6048302110100',
        `00A4040400${toHex(p.usimAid)}`.replace(
          /^00A4040400/,
          `00A40404${p.usimAid.length.toString(16).padStart(2, '0')}`,
        ),
        toHex(auth),
      ];
      let result = await scriptor(apdus);
      for (let i = 0; i < 30 && result.responses.length < apdus.length; i++) {
        await sleep(500);
        result = await scriptor(apdus);
      }
      assert.equal(result.responses.length, apdus.length, `scriptor output:\n${result.output}`);
      const [select, bf21, usim, authenticate] = result.responses;
      assert.match(select, /^6F.*9000$/);
      const chain = s.image.keySets[0].certificates;
      assert.equal(
        bf21,
        toHex(concatBytes(fromHex('BF21'), Uint8Array.of(0x81, chain[0].length), chain[0])).toUpperCase() +
          '9000',
      );
      assert.match(usim, /^62.*9000$/);
      const expected = concatBytes(
        Uint8Array.of(0xdb, 8),
        v.xres,
        Uint8Array.of(16),
        v.ck,
        Uint8Array.of(16),
        v.ik,
      );
      assert.equal(authenticate, toHex(expected).toUpperCase() + '9000');
    } finally {
      await transport.close();
      if (pcscd !== undefined) {
        pcscd.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            pcscd!.kill('SIGKILL');
            r(undefined);
          }, 3000);
          pcscd!.once('exit', () => {
            clearTimeout(t);
            r(undefined);
          });
        });
      }
    }
  });
});

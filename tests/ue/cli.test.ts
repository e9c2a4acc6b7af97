// `ltku core serve` and `ltku ue attach|detach` through the CLI: a card image file (and the same card served over
// TCP with the vpcd framing) attaching through a core started by the CLI in front of an in-process HSS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { UsimSqnArray } from '../../src/aka/index.js';
import { encodeCardImage, loadCardImage, serveTcp } from '../../src/card/index.js';
import { main } from '../../src/cli/main.js';
import { silentLogger } from '../../src/ports/index.js';
import { runCli } from '../helpers/cli.js';
import { cardOf, newCard, startNetwork, type Network } from '../core/support/network.js';

/** Runs a serve command; resolves with the URL it prints, and a stop function that resolves with its exit code. */
async function serve(argv: string[]): Promise<{ url: string; stop(): Promise<number> }> {
  let stop!: (s: string) => void;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stderr.resume();
  let out = '';
  const url = new Promise<string>((resolve) =>
    stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url": "([^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    }),
  );
  const done = main(argv, { stdout, stderr, env: { ...process.env, LTKU_LOG_LEVEL: 'silent' }, stopSignal });
  const first = await Promise.race([url, done.then((code) => `exit ${code}`)]);
  assert.match(first, /^http:/);
  return {
    url: first,
    stop: async () => {
      stop('SIGTERM');
      return done;
    },
  };
}

describe('ltku core serve, ltku ue attach|detach', () => {
  let net: Network;
  let dir: string;
  let core: { url: string; stop(): Promise<number> };
  before(async () => {
    net = await startNetwork({ seed: 'cli' });
    dir = mkdtempSync(join(tmpdir(), 'ltku-ue-cli-'));
    core = await serve(['core', 'serve', '--hss', net.hssUrl, '--listen', '127.0.0.1:0', '--json']);
  });
  after(async () => {
    await net.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches and detaches a card image file; the card keeps the SQN it accepted', async () => {
    const { image } = newCard('cli-card');
    await net.provision(image);
    const file = join(dir, 'card.json');
    writeFileSync(file, encodeCardImage(image), { mode: 0o600 });
    const p = image.profiles[1];
    const common = ['--card', file, '--iccid', p.iccid, '--core', core.url, '--json'];
    const attached = await runCli(['ue', 'attach', ...common]);
    assert.equal(attached.code, 0, attached.stderr);
    const result = JSON.parse(attached.stdout);
    assert.deepEqual([result.imsi, result.state, result.rounds], [p.imsi, 'attached', ['success']]);
    const saved = loadCardImage(file).profiles[1];
    assert.equal(UsimSqnArray.fromJSON(saved.sqn).sqnMs(), (await net.hssClient.getSubscriber(p.imsi)).sqn);
    const table = await runCli(['ue', 'attach', ...common.slice(0, -1)]);
    assert.match(table.stdout, /state\s+attached/);
    for (const out of [attached.stdout, table.stdout]) {
      assert.equal(out.includes(Buffer.from(p.keys.k).toString('hex')), false);
    }
    const detached = await runCli(['ue', 'detach', ...common]);
    assert.equal(detached.code, 0, detached.stderr);
    assert.deepEqual(JSON.parse(detached.stdout), { iccid: p.iccid, imsi: p.imsi, state: 'detached' });
  });

  it('attaches a card served over TCP; a clone exits 1 with the reject', async () => {
    const { image, card } = newCard('cli-tcp');
    await net.provision(image);
    const served = await serveTcp(card, '127.0.0.1', 0, silentLogger);
    try {
      const p = image.profiles[0];
      const r = await runCli([
        'ue',
        'attach',
        '--tcp',
        served.address,
        '--iccid',
        p.iccid,
        '--core',
        core.url,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).state, 'attached');
    } finally {
      await served.close();
    }
    const p = image.profiles[1];
    const clone = cardOf({
      ...image,
      profiles: [{ ...p, keys: { ...p.keys, opc: new Uint8Array(16).fill(7) } }],
    });
    const cloneServed = await serveTcp(clone.card, '127.0.0.1', 0, silentLogger);
    try {
      const r = await runCli([
        'ue',
        'attach',
        '--tcp',
        cloneServed.address,
        '--iccid',
        p.iccid,
        '--core',
        core.url,
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /state\s+rejected/);
      assert.match(r.stdout, /reason\s+MAC failure/);
    } finally {
      await cloneServed.close();
    }
  });

  it('usage errors name the option (exit 2); an unreachable card is exit 1 with a message', async () => {
    const base = ['--iccid', '8900000000000000000', '--core', core.url];
    const none = await runCli(['ue', 'attach', ...base]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--card, --tcp, --pcsc/);
    const two = await runCli(['ue', 'attach', '--card', 'x', '--tcp', 'h:1', ...base]);
    assert.equal(two.code, 2);
    const iccid = await runCli(['ue', 'detach', '--card', 'x', '--iccid', '12', '--core', core.url]);
    assert.equal(iccid.code, 2);
    assert.match(iccid.stderr, /--iccid/);
    const badTcp = await runCli(['ue', 'attach', '--tcp', 'nohostport', ...base]);
    assert.equal(badTcp.code, 2);
    const closed = await runCli(['ue', 'attach', '--tcp', '127.0.0.1:1', ...base]);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /cannot connect to card at 127\.0\.0\.1:1/);
    const noHss = await runCli(['core', 'serve', '--hss', 'ftp://x', '--listen', '127.0.0.1:0']);
    assert.equal(noHss.code, 2);
    assert.match(noHss.stderr, /--hss/);
  });

  it('core serve stops on the stop signal', async () => {
    assert.equal(await core.stop(), 0);
    await assert.rejects(fetch(`${core.url}/core/v1/ues/001010000000001`));
  });
});

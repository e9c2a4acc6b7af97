// `ltku core serve` and `ltku ue attach|detach` through the CLI: a card image file (and the same card served over
// TCP with the vpcd framing) attaching through a core started by the CLI in front of an in-process HSS. The core
// creates its credentials on the first run and calls the HSS with the core token of --token-file; the UE keeps
// each attach token in <data-dir> (0600) for the detach of a later process (DESIGN.md 7).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    const hssToken = join(dir, 'core-at-hss.token');
    writeFileSync(hssToken, `${net.auth.token('core')}\n`, { mode: 0o600 });
    core = await serve([
      'core',
      'serve',
      '--hss',
      net.hssUrl,
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      dir,
      '--token-file',
      hssToken,
      '--json',
    ]);
    assert.ok(existsSync(join(dir, 'credentials', 'principals.json')), 'created on the first run');
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
    const common = ['--card', file, '--iccid', p.iccid, '--core', core.url, '--data-dir', dir, '--json'];
    const attached = await runCli(['ue', 'attach', ...common]);
    assert.equal(attached.code, 0, attached.stderr);
    const result = JSON.parse(attached.stdout);
    assert.deepEqual([result.imsi, result.state, result.rounds], [p.imsi, 'attached', ['success']]);
    assert.equal('attachToken' in result, false, 'the attach token is kept, not printed');
    const kept = join(dir, 'ue-attach-tokens.json');
    assert.equal(statSync(kept).mode & 0o777, 0o600);
    const tokenOf = () =>
      Object.values(
        (JSON.parse(readFileSync(kept, 'utf8')) as { attaches: Record<string, { attachToken: string }> })
          .attaches,
      )[0]?.attachToken;
    assert.match(tokenOf() ?? '', /^[0-9a-f]{32}$/);
    const saved = loadCardImage(file).profiles[1];
    assert.equal(UsimSqnArray.fromJSON(saved.sqn).sqnMs(), (await net.hssClient.getSubscriber(p.imsi)).sqn);
    // The same profile named by its IMSI (looked up among the card's USIMs).
    const byImsi = common.slice(0, -1).map((a) => (a === '--iccid' ? '--imsi' : a === p.iccid ? p.imsi : a));
    const table = await runCli(['ue', 'attach', ...byImsi]);
    assert.match(table.stdout, /state\s+attached/);
    const token = tokenOf() as string;
    for (const out of [attached.stdout, table.stdout]) {
      assert.equal(out.includes(Buffer.from(p.keys.k).toString('hex')), false);
      assert.equal(out.includes(token), false);
    }
    // Another process without the attach's token cannot detach it (and the UE stays attached).
    const elsewhere = await runCli([
      'ue',
      'detach',
      ...common.slice(0, -3),
      '--data-dir',
      join(dir, 'other'),
    ]);
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /no attach of IMSI .* recorded/);
    const stranger = await fetch(`${core.url}/core/v1/detach`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imsi: p.imsi }),
    });
    assert.equal(stranger.status, 403);
    const detached = await runCli(['ue', 'detach', ...common]);
    assert.equal(detached.code, 0, detached.stderr);
    assert.deepEqual(JSON.parse(detached.stdout), { iccid: p.iccid, imsi: p.imsi, state: 'detached' });
    assert.equal(tokenOf(), undefined, 'the token is forgotten with its attach');
    assert.equal(detached.stdout.includes(token), false);
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
        '--data-dir',
        dir,
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
        '--data-dir',
        dir,
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
    const both = await runCli(['ue', 'attach', '--card', 'x', ...base, '--imsi', '001010000000001']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give only one of --iccid, --imsi/);
    const json = await runCli(['ue', 'attach', '--tcp', '127.0.0.1:1', ...base, '--json']);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stderr).error.kind, 'failure', 'errors as JSON with --json');
    const badTcp = await runCli(['ue', 'attach', '--tcp', 'nohostport', ...base]);
    assert.equal(badTcp.code, 2);
    const closed = await runCli(['ue', 'attach', '--tcp', '127.0.0.1:1', ...base]);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /cannot connect to card at 127\.0\.0\.1:1/);
    const noScheme = await runCli([
      'ue',
      'attach',
      '--card',
      'x',
      '--iccid',
      '8900000000000000000',
      '--core',
      '127.0.0.1:8084',
    ]);
    assert.equal(noScheme.code, 2);
    assert.match(
      noScheme.stderr,
      /--core: expected an http\(s\) URL, got "127\.0\.0\.1:8084" \(did you mean http:\/\/127/,
    );
    const noHss = await runCli(['core', 'serve', '--hss', 'ftp://x', '--listen', '127.0.0.1:0']);
    assert.equal(noHss.code, 2);
    assert.match(noHss.stderr, /--hss/);
  });

  it('core serve stops on the stop signal', async () => {
    assert.equal(await core.stop(), 0);
    await assert.rejects(fetch(`${core.url}/core/v1/ues/001010000000001`));
    // The principals it created hold hashes only; the token files are 0600.
    for (const f of ['principals.json', 'operator.token', 'provisioner.token', 'core.token'])
      assert.equal(statSync(join(dir, 'credentials', f)).mode & 0o777, 0o600, f);
  });
});

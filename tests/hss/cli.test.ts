// `ltku hss serve|import|add|show|list` on both backends. The commands are run through node:util parseArgs as
// the dispatcher does (the dispatcher itself lists compiled .js verbs only, so it is not used from sources here).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { toHex } from '../../src/bytes/index.js';
import type { Command } from '../../src/cli/command.js';
import { UsageError } from '../../src/cli/errors.js';
import { HssClient } from '../../src/hss/client/index.js';
import { backends } from './backends.js';
import { imsiOf, milenageKeys, SNN, tuakKeys, usim5g } from './fixture.js';

async function run(
  verb: string,
  argv: string[],
  stopSignal: Promise<string> = new Promise(() => {}),
  onOutput?: (s: string) => void,
) {
  const { command } = (await import(`../../src/cli/commands/hss/${verb}.js`)) as { command: Command };
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
    onOutput?.(out);
  });
  const parsed = parseArgs({
    args: argv,
    options: command.options,
    allowPositionals: command.allowPositionals ?? false,
    strict: true,
  });
  const code = await command.run({
    stdout,
    stderr: new PassThrough(),
    env: {},
    stopSignal,
    values: parsed.values,
    positionals: parsed.positionals,
  });
  return { code, stdout: out };
}

const dir = mkdtempSync(join(tmpdir(), 'ltku-hss-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const backend of backends()) {
  describe(`ltku hss on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.cleanup());
    const dataDir = join(dir, backend.name);
    const db = backend.newDatabase();
    const store = ['--data-dir', dataDir, '--db', db];
    const [m, t] = [milenageKeys('cli1'), tuakKeys('cli2')];

    it('import reads the personalisation file; a second import reports "exists"', async () => {
      const file = join(dir, `subscribers-${backend.name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          format: 'ltku-subscribers/1',
          eid: '89049032000000000000000000000001',
          subscribers: [
            {
              iccid: '8988211000000000011',
              imsi: imsiOf(1),
              algorithm: 'milenage',
              k: toHex(m.k),
              opc: toHex(m.opc),
              keyVersion: 1,
              amf: '8000',
            },
            {
              iccid: '8988211000000000029',
              imsi: imsiOf(2),
              algorithm: 'tuak',
              k: toHex(t.k),
              topc: toHex(t.opc),
              keyVersion: 1,
              tuak: t.tuak,
              amf: '8000',
            },
          ],
        }),
        { mode: 0o600 },
      );
      const r = await run('import', [file, ...store, '--json']);
      assert.equal(r.code, 0);
      const j = JSON.parse(r.stdout);
      assert.equal(j.created, 2);
      assert.equal(r.stdout.includes(toHex(m.k)), false);
      const again = JSON.parse((await run('import', [file, ...store, '--json'])).stdout);
      assert.deepEqual(
        again.subscribers.map((s: { outcome: string }) => s.outcome),
        ['exists', 'exists'],
      );

      const broken = join(dir, 'broken.json');
      writeFileSync(
        broken,
        JSON.stringify({
          format: 'ltku-subscribers/1',
          subscribers: [{ imsi: imsiOf(3), algorithm: 'milenage', k: toHex(m.k), opc: 'zz' }],
        }),
      );
      await assert.rejects(run('import', [broken, ...store]), /subscribers\[0\]\.opc/);
    });

    it('add, show (with audit), list; keys never printed', async () => {
      const k = milenageKeys('cli3');
      const added = await run('add', [
        '--imsi',
        imsiOf(3),
        '--algorithm',
        'milenage',
        '--k',
        toHex(k.k),
        '--opc',
        toHex(k.opc),
        '--key-version',
        '4',
        ...store,
        '--json',
      ]);
      assert.equal(JSON.parse(added.stdout).activeVersion, 4);
      const shown = await run('show', [imsiOf(3), '--audit', ...store, '--json']);
      const view = JSON.parse(shown.stdout);
      assert.equal(view.imsi, imsiOf(3));
      assert.equal(view.audit[0].event, 'subscriber-created');
      const listed = JSON.parse((await run('list', [...store, '--json'])).stdout);
      assert.deepEqual(
        listed.subscribers.map((s: { imsi: string }) => s.imsi),
        [imsiOf(1), imsiOf(2), imsiOf(3)],
      );
      const table = await run('show', [imsiOf(3), ...store]);
      assert.match(table.stdout, /active version\s+4/);
      for (const out of [added.stdout, shown.stdout, table.stdout]) {
        assert.equal(out.includes(toHex(k.k)), false);
        assert.equal(out.includes(toHex(k.opc)), false);
      }
      await assert.rejects(
        run('add', ['--imsi', imsiOf(5), '--algorithm', 'milenage', '--k', toHex(k.k), ...store]),
        UsageError,
      );
    });

    it('show takes an ICCID as well as an IMSI; add takes --op (OPc derived, never printed)', async () => {
      const byIccid = JSON.parse((await run('show', ['8988211000000000011', ...store, '--json'])).stdout);
      assert.equal(byIccid.imsi, imsiOf(1));
      await assert.rejects(run('show', ['8988211000000000999', ...store]), /no subscriber has ICCID/);
      await assert.rejects(run('show', ['12345678901234567', ...store]), UsageError);
      const op = 'cdc202d5123e20f62b6d676ac72cb318';
      const k = '465b5ce8b199b49faa5f0a2ee238a6bc';
      const base = ['--imsi', imsiOf(7), '--algorithm', 'milenage', '--k', k, ...store];
      await assert.rejects(run('add', [...base, '--op', op, '--opc', op]), /--opc, --op/);
      await assert.rejects(run('add', [...base, '--top', op + op]), /--top is for TUAK/);
      const added = await run('add', [...base, '--op', op, '--json']);
      assert.equal(JSON.parse(added.stdout).imsi, imsiOf(7));
      assert.equal(added.stdout.includes(op), false);
    });

    it('serve creates credentials on the first run, answers its roles only, and stops on the stop signal', async () => {
      let stop!: (s: string) => void;
      const stopSignal = new Promise<string>((resolve) => (stop = resolve));
      let url!: string;
      const ready = new Promise<void>((resolve) => {
        void run('serve', ['--listen', '127.0.0.1:0', ...store, '--json'], stopSignal, (out) => {
          const m = /"url": "([^"]+)"/.exec(out);
          if (m) {
            url = m[1];
            resolve();
          }
        }).then((r) => served.push(r.code));
      });
      const served: number[] = [];
      await ready;
      // DESIGN.md 7: <data-dir>/credentials was created (0600), and only its tokens open the API
      const credentials = join(dataDir, 'credentials');
      const token = (name: string) => readFileSync(join(credentials, `${name}.token`), 'utf8').trim();
      for (const f of ['principals.json', 'operator.token', 'provisioner.token', 'core.token'])
        assert.equal(statSync(join(credentials, f)).mode & 0o777, 0o600, f);
      await assert.rejects(
        new HssClient(url).generateAuthData(`imsi-${imsiOf(1)}`, { servingNetworkName: SNN }),
        (e: { status?: number }) => e.status === 401,
      );
      await assert.rejects(
        new HssClient(url, { token: token('operator') }).generateAuthData(`imsi-${imsiOf(1)}`, {
          servingNetworkName: SNN,
        }),
        (e: { status?: number }) => e.status === 403,
      );
      const v = await new HssClient(url, { token: token('core') }).generateAuthData(`imsi-${imsiOf(1)}`, {
        servingNetworkName: SNN,
      });
      assert.equal(usim5g(m, v.authenticationVector.rand, v.authenticationVector.autn).macOk, true);
      const client = new HssClient(url, { token: token('operator') });
      assert.equal((await client.getSubscriber(imsiOf(1))).imsi, imsiOf(1));
      stop('SIGTERM');
      for (let i = 0; i < 100 && served.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(served, [0]);
      await assert.rejects(client.getSubscriber(imsiOf(1)), (e: { status?: number }) => e.status === 0);
    });
  });
}

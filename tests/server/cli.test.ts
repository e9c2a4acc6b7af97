// `ltku server serve|update|jobs` and `ltku ue sync` end to end, in-process, against an HSS on loopback, with the
// credentials of `ltku auth init` (DESIGN.md 7): the RAM endpoint and the admin API on their own listeners.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenHss, openHssRuntime, parsePersonalisationFile } from '../../src/hss/index.js';
import { decodeCardImage } from '../../src/card/index.js';
import { HssClient } from '../../src/hss/client/index.js';
import { decodePrincipalsFile, PrincipalTable } from '../../src/auth/index.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-server-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ltku server / ue sync', () => {
  it('serves, takes a job by ICCID, runs it from the UE and lists it completed', async () => {
    const pki = join(dir, 'pki');
    const card = join(dir, 'card.json');
    const subscribers = join(dir, 'subscribers.json');
    assert.equal((await runCli(['pki', 'init', '--dir', pki])).code, 0);
    const oce = await runCli([
      'pki',
      'issue',
      '--dir',
      pki,
      '--role',
      'oce',
      '--format',
      'x509',
      '--out',
      join(pki, 'oce'),
    ]);
    assert.equal(oce.code, 0, oce.stderr);
    const created = await runCli([
      'card',
      'create',
      '--pki',
      pki,
      '--out',
      card,
      '--subscribers-out',
      subscribers,
      '--profiles',
      '2',
    ]);
    assert.equal(created.code, 0, created.stderr);

    const dataDir = join(dir, 'server');
    const init = await runCli(['auth', 'init', '--data-dir', dataDir, '--json']);
    assert.equal(init.code, 0, init.stderr);
    const credentials = join(dataDir, 'credentials');
    assert.equal(JSON.parse(init.stdout).credentials, credentials);
    const token = (name: string) => readFileSync(join(credentials, `${name}.token`), 'utf8').trim();
    assert.equal(init.stdout.includes(token('operator')), false, 'init prints paths, not tokens');
    const authenticator = new PrincipalTable(
      decodePrincipalsFile(readFileSync(join(credentials, 'principals.json'), 'utf8')),
    );
    const runtime = await openHssRuntime({ dataDir: join(dir, 'hss'), kekHex: '11'.repeat(32) });
    const file = parsePersonalisationFile(readFileSync(subscribers, 'utf8'));
    for (const s of file.subscribers) await runtime.hss.create(s, 'test');
    const hss = await listenHss({
      hss: runtime.hss,
      auc: runtime.auc,
      logger: runtime.logger,
      authenticator,
    });

    const [port, adminPort] = [await freePort(), await freePort()];
    const ramBase = `http://127.0.0.1:${port}`;
    const url = `http://127.0.0.1:${adminPort}`;
    const asClient = ['--data-dir', dataDir];
    let stop!: (s: string) => void;
    const serving = runCli(
      [
        'server',
        'serve',
        '--pki',
        pki,
        '--hss',
        hss.url,
        '--data-dir',
        dataDir,
        '--listen',
        `127.0.0.1:${port}`,
        '--admin-listen',
        `127.0.0.1:${adminPort}`,
        '--inventory',
        subscribers,
      ],
      new Promise((r) => (stop = r)),
    );
    try {
      let ready = false;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`${url}/admin/v1/jobs`).then(
          (r) => r.status === 401,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(ready, 'server did not come up');
      const iccid = file.subscribers[0].iccid as string;
      const noToken = await runCli(['server', 'jobs', '--server', url, '--data-dir', join(dir, 'nowhere')]);
      assert.equal(noToken.code, 2);
      assert.match(noToken.stderr, /no token file .*operator\.token/);
      const provisioner = await runCli([
        'server',
        'jobs',
        '--server',
        url,
        '--token-file',
        join(credentials, 'provisioner.token'),
      ]);
      assert.equal(provisioner.code, 1);
      assert.match(provisioner.stderr, /403/);
      const update = await runCli([
        'server',
        'update',
        '--server',
        url,
        '--iccid',
        iccid,
        '--json',
        ...asClient,
      ]);
      assert.equal(update.code, 0, update.stderr);
      const created = JSON.parse(update.stdout);
      assert.deepEqual([created.state, created.createdBy], ['pending', 'operator']);

      const unknown = await runCli([
        'server',
        'update',
        '--server',
        url,
        '--imsi',
        '001019999999999',
        ...asClient,
      ]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /404|inventory/);

      const keysFile = join(dir, 'vendor-keys.json');
      writeFileSync(
        keysFile,
        JSON.stringify({ k: '0123456789abcdeffedcba9876543210', opc: '00112233445566778899aabbccddeeff' }),
        { mode: 0o600 },
      );
      const imported = await runCli([
        'server',
        'update',
        '--server',
        url,
        '--iccid',
        file.subscribers[1].iccid as string,
        '--keys-file',
        keysFile,
        '--json',
        ...asClient,
      ]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.equal(JSON.parse(imported.stdout).createdBy, 'operator');
      const cancelled = await fetch(`${url}/admin/v1/jobs/${JSON.parse(imported.stdout).id}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token('operator')}` },
      });
      assert.equal(cancelled.status, 200);

      const onAdmin = await runCli(['ue', 'sync', '--card', card, '--server', url, '--json']);
      assert.equal(onAdmin.code, 1, 'the RAM endpoint is not on the admin listener');
      assert.match(
        JSON.parse(onAdmin.stderr).error.message,
        /is "ltku Provisioning Server admin API", not the RAM/,
      );
      const onRam = await runCli(['server', 'jobs', '--server', ramBase, ...asClient]);
      assert.equal(onRam.code, 1);
      assert.match(onRam.stderr, /publishes no \/openapi\.json: not the Provisioning Server admin API/);
      const sync = await runCli(['ue', 'sync', '--card', card, '--server', ramBase, '--json']);
      assert.equal(sync.code, 0, sync.stderr);
      const synced = JSON.parse(sync.stdout);
      assert.ok(synced.posts <= 4);
      assert.deepEqual(
        [synced.job, synced.outcome, synced.keyVersionBefore, synced.keyVersionAfter],
        [created.id, 'completed', 1, 2],
      );
      const again = await runCli(['ue', 'sync', '--card', card, '--server', ramBase]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /outcome +nothing to do/);
      assert.doesNotMatch(again.stdout, /key version/);

      const jobs = await runCli(['server', 'jobs', '--server', url, '--json', ...asClient]);
      const listed = JSON.parse(jobs.stdout).jobs as { iccid: string; state: string }[];
      assert.deepEqual(
        listed.filter((j) => j.iccid === iccid).map((j) => [j.iccid, j.state]),
        [[iccid, 'completed']],
      );
      for (const out of [update, imported, jobs, sync].flatMap((r) => [r.stdout, r.stderr]))
        for (const name of ['operator', 'provisioner', 'core'])
          assert.equal(out.includes(token(name).split('.')[2]), false, 'no token in CLI output');
      // The card file was saved with the new key version, the HSS agrees.
      const image = decodeCardImage(readFileSync(card, 'utf8'));
      assert.equal(image.profiles.find((p) => p.iccid === iccid)?.keyVersion, 2);
      const view = await new HssClient(hss.url, { token: token('operator') }).getSubscriber(
        file.subscribers[0].imsi,
      );
      assert.equal(view.activeVersion, 2);
    } finally {
      stop('SIGTERM');
      assert.equal((await serving).code, 0);
      await hss.close();
      await runtime.close();
    }
  });
});

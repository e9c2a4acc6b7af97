// `ltku server serve|update|jobs` and `ltku ue sync` end to end, in-process, against an HSS on loopback.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenHss, openHssRuntime, parsePersonalisationFile } from '../../src/hss/index.js';
import { decodeCardImage } from '../../src/card/index.js';
import { HssClient } from '../../src/hss/client/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-server-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

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
    ]);
    assert.equal(created.code, 0, created.stderr);

    const runtime = await openHssRuntime({ dataDir: join(dir, 'hss'), kekHex: '11'.repeat(32) });
    const file = parsePersonalisationFile(readFileSync(subscribers, 'utf8'));
    for (const s of file.subscribers) await runtime.hss.create(s, 'test');
    const hss = await listenHss({ hss: runtime.hss, auc: runtime.auc, logger: runtime.logger });

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
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
        join(dir, 'server'),
        '--listen',
        `127.0.0.1:${port}`,
        '--inventory',
        subscribers,
      ],
      new Promise((r) => (stop = r)),
    );
    try {
      let ready = false;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`${url}/admin/v1/jobs`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(ready, 'server did not come up');
      const iccid = file.subscribers[0].iccid as string;
      const update = await runCli(['server', 'update', '--server', url, '--iccid', iccid, '--json']);
      assert.equal(update.code, 0, update.stderr);
      assert.equal(JSON.parse(update.stdout).state, 'pending');

      const unknown = await runCli(['server', 'update', '--server', url, '--imsi', '001019999999999']);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /404|inventory/);

      const sync = await runCli(['ue', 'sync', '--card', card, '--server', url, '--json']);
      assert.equal(sync.code, 0, sync.stderr);
      assert.ok(JSON.parse(sync.stdout).posts <= 4);

      const jobs = await runCli(['server', 'jobs', '--server', url, '--json']);
      const listed = JSON.parse(jobs.stdout).jobs as { iccid: string; state: string }[];
      assert.deepEqual(
        listed.map((j) => [j.iccid, j.state]),
        [[iccid, 'completed']],
      );
      // The card file was saved with the new key version, the HSS agrees.
      const image = decodeCardImage(readFileSync(card, 'utf8'));
      assert.equal(image.profiles.find((p) => p.iccid === iccid)?.keyVersion, 2);
      const view = await new HssClient(hss.url).getSubscriber(file.subscribers[0].imsi);
      assert.equal(view.activeVersion, 2);
    } finally {
      stop('SIGTERM');
      assert.equal((await serving).code, 0);
      await hss.close();
      await runtime.close();
    }
  });
});

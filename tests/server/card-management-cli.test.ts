// Issue 13 on the command line: `ltku pki revoke --publish` creates deny-list jobs for the cards of the running
// server's inventory through its admin API; `ltku card show` lists the CA-KLOC keys, allowlists and deny list.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCardImage } from '../../src/card/index.js';
import { toHex } from '../../src/bytes/index.js';
import { caKeyId } from '../../src/pki/index.js';
import { loadIndex } from '../../src/cli/commands/pki/support/pki-dir.js';
import { runCli } from '../helpers/cli.js';
import { runPki } from '../pki/run-pki.js';
import { setup } from '../card/support/fixture.js';
import { tempDir } from './support/world.js';
import { cardRig, type CardRig } from './card-management-world.js';

const rigs: CardRig[] = [];
after(() => Promise.all(rigs.map((r) => r.close())));

describe('ltku pki revoke --publish (issue 13)', () => {
  it('revokes an OCE certificate and creates a deny-list job for every card of the server', async () => {
    const r = await cardRig('cm-cli-revoke');
    rigs.push(r);
    const dir = tempDir('ltku-cm-pki-');
    const ok = async (argv: string[]) => {
      const res = await runPki(argv);
      assert.equal(res.code, 0, res.stderr);
      return res;
    };
    await ok(['init', '--dir', dir, '--days', '36500']);
    await ok([
      'issue',
      '--dir',
      dir,
      '--role',
      'oce',
      '--format',
      'gp',
      '--days',
      '36500',
      '--out',
      join(dir, 'oce'),
    ]);
    const index = loadIndex(dir);
    const oce = index.issued.find((i) => i.issuer === 'kloc');
    assert.ok(oce !== undefined);
    const tokenFile = join(dir, 'operator.token');
    writeFileSync(tokenFile, r.token, { mode: 0o600 });
    const publish = ['--publish', '--server', r.server.adminUrl, '--token-file', tokenFile];
    const res = await ok(['revoke', '--dir', dir, '--serial', oce.serial, ...publish, '--json']);
    const out = JSON.parse(res.stdout) as { published: { jobs: number; batch: string } };
    assert.deepEqual(out.published, { batch: `revoke-${oce.serial}`, jobs: 1, refused: 0 });
    const listed = (await (
      await r.admin('GET', `/admin/v1/card-jobs?batch=revoke-${oce.serial}`)
    ).json()) as {
      jobs: { eid: string; payload: { serials: string[]; mode: string } }[];
    };
    assert.deepEqual(
      listed.jobs.map((j) => [j.eid, j.payload.mode, j.payload.serials]),
      [[r.eid, 'add', [oce.serial]]],
    );
    // a card certificate is not published (cards keep OCE revocations only), and nothing is written
    const refused = await runPki(['revoke', '--dir', dir, '--serial', '7777', '--ca', 'klcc', ...publish]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /OCE certificates only/);
    assert.deepEqual(loadIndex(dir).cas.klcc.revoked, []);
  });
});

describe('ltku card show (issue 13)', () => {
  it('lists the CA-KLOC keys with their key ids, the allowlists and the deny list', async () => {
    const s = setup('cm-cli-show');
    const image = {
      ...s.image,
      keySets: s.image.keySets.map((k, i) =>
        i === 0 ? { ...k, oceAllowlist: [Uint8Array.of(1), Uint8Array.of(0x50)] } : k,
      ),
      caKloc: s.image.caKloc.map((c) => ({ ...c, oceAllowlist: [Uint8Array.of(0x0a)] })),
      denyList: [Uint8Array.of(0x66)],
    };
    const path = join(tempDir('ltku-cm-show-'), 'card.json');
    writeFileSync(path, encodeCardImage(image));
    const json = await runCli(['card', 'show', path, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const v = JSON.parse(json.stdout) as {
      keySets: { oceAllowlist?: string[] }[];
      trustedOceCas: { kvn: number; keyId: string; oceAllowlist?: string[] }[];
      denyList: string[];
    };
    assert.deepEqual(v.keySets[0].oceAllowlist, ['01', '50']);
    assert.deepEqual(v.trustedOceCas, [
      {
        kvn: 1,
        curve: 'P-256',
        name: 'CA-KLOC',
        keyId: toHex(caKeyId(s.pki.kloc.publicKey)),
        oceAllowlist: ['0a'],
      },
    ]);
    assert.deepEqual(v.denyList, ['66']);
    const table = await runCli(['card', 'show', path]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /OCE allowlist\s+KID 11 KVN 1: serials 01 50/);
    assert.match(table.stdout, /OCE allowlist\s+CA-KLOC KVN 1: serials 0a/);
    assert.match(table.stdout, /OCE deny list\s+serials 66/);
    assert.match(
      table.stdout,
      new RegExp(`trusted CA-KLOC\\s+KVN 1 P-256 key id ${toHex(caKeyId(s.pki.kloc.publicKey))}`),
    );
  });
});

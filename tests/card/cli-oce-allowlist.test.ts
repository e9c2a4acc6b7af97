// `ltku card create --oce-allowlist`: the serials land on every trusted CA-KLOC key (KID 10, yubikit's form),
// none on the key sets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/bytes/index.js';
import { loadCardImage } from '../../src/card/index.js';
import { runCli } from '../helpers/cli.js';

let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ltku-card-allowlist-'));
  assert.equal((await runCli(['pki', 'init', '--dir', join(dir, 'pki')])).code, 0);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ltku card create --oce-allowlist', () => {
  it('sets the list on every trusted CA-KLOC key, not on the key sets', async () => {
    const out = join(dir, 'card.json');
    const r = await runCli([
      'card',
      'create',
      '--pki',
      join(dir, 'pki'),
      '--out',
      out,
      '--scp11',
      'a,b,c',
      '--oce-allowlist',
      '01, 0x9A02,0abc',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const image = loadCardImage(out);
    assert.ok(image.caKloc.length >= 1);
    for (const c of image.caKloc) assert.deepEqual(c.oceAllowlist?.map(toHex), ['01', '9a02', '0abc']);
    assert.equal(image.keySets.filter((k) => k.oceAllowlist !== undefined).length, 0);
    const summary = JSON.parse(r.stdout) as { trustedOceCas: { oceAllowlist?: string[] }[] };
    assert.deepEqual(summary.trustedOceCas[0].oceAllowlist, ['01', '9a02', '0abc']);
  });

  it('refuses a serial that is not hex', async () => {
    const out = join(dir, 'bad.json');
    const r = await runCli([
      'card',
      'create',
      '--pki',
      join(dir, 'pki'),
      '--out',
      out,
      '--oce-allowlist',
      '01,xyz',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--oce-allowlist/);
    assert.equal(existsSync(out), false);
  });
});

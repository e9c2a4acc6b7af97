// `ltku card create --batch` (issue 11 / DESIGN.md 8): the manufacturing batch goes into the --subscribers-out
// file, the server inventory reads it back as the entry's batch, `ltku hss import` still takes the file, and a
// bad id is a usage error naming --batch.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInventoryFile } from '../../src/server/index.js';
import { parsePersonalisationFile } from '../../src/hss/index.js';
import { runCli } from '../helpers/cli.js';

let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ltku-card-batch-'));
  assert.equal((await runCli(['pki', 'init', '--dir', join(dir, 'pki')])).code, 0);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function create(name: string, extra: string[]) {
  return runCli(['card', 'create', '--pki', join(dir, 'pki'), '--out', join(dir, `${name}.json`), ...extra]);
}

describe('ltku card create --batch', () => {
  it('writes the batch into the personalisation output; the inventory and the HSS read the file', async () => {
    const subs = join(dir, 'subs-batch.json');
    const r = await create('card-batch', [
      '--profiles',
      '2',
      '--subscribers-out',
      subs,
      '--batch',
      'LOT-2026.11_a',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { batch?: string }).batch, 'LOT-2026.11_a');
    const text = readFileSync(subs, 'utf8');
    const doc = JSON.parse(text) as { format: string; batch?: string };
    assert.equal(doc.format, 'ltku-subscribers/1');
    assert.equal(doc.batch, 'LOT-2026.11_a');

    const entries = parseInventoryFile(text, subs);
    assert.equal(entries.length, 2);
    for (const e of entries) assert.equal(e.batch, 'LOT-2026.11_a');

    assert.equal(parsePersonalisationFile(text).subscribers.length, 2);
    const hss = join(dir, 'hss');
    const imported = await runCli([
      'hss',
      'import',
      subs,
      '--data-dir',
      hss,
      '--db',
      join(hss, 'hss.sqlite'),
      '--json',
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal((JSON.parse(imported.stdout) as { created: number }).created, 2);
  });

  it('without --batch the file has no batch and the inventory entries none', async () => {
    const subs = join(dir, 'subs-nobatch.json');
    const r = await create('card-nobatch', ['--subscribers-out', subs]);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(subs, 'utf8');
    assert.equal('batch' in (JSON.parse(text) as object), false);
    assert.equal(parseInventoryFile(text, subs)[0].batch, undefined);
  });

  for (const bad of ['', '-lot', 'lot 1', 'lot/1', 'x'.repeat(65)]) {
    it(`refuses the batch ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 8)}...` : bad)} (exit 2)`, async () => {
      const subs = join(dir, `subs-bad-${bad.length}-${bad.charCodeAt(0) || 0}.json`);
      const out = `card-bad-${bad.length}-${bad.charCodeAt(0) || 0}`;
      const r = await create(out, ['--subscribers-out', subs, `--batch=${bad}`]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--batch/);
      assert.equal(existsSync(join(dir, `${out}.json`)), false);
      assert.equal(existsSync(subs), false);
    });
  }

  it('refuses --batch without --subscribers-out (exit 2)', async () => {
    const r = await create('card-nofile', ['--batch', 'LOT1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--batch/);
    assert.equal(existsSync(join(dir, 'card-nofile.json')), false);
  });

  it('`ltku help card create` documents --batch', async () => {
    const r = await runCli(['help', 'card', 'create']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--batch ID/);
    assert.match(r.stdout, /--batch: the card's manufacturing batch/);
  });
});

// Issue 11: the HSS's bulk provisioning (Hss.createMany, store.insertMany on both backends) and `ltku hss import`
// of the bulk file (JSON Lines, one card a line): new IMSIs are inserted with their audit line, existing ones are
// left unchanged and reported, the keys are sealed as one at a time would seal them (vectors from them verify),
// and a bad line is named without a value.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/bytes/index.js';
import { isPersonalisationLines, type NewSubscriber } from '../../src/hss/index.js';
import { parseInventoryText } from '../../src/server/index.js';
import { backends } from '../hss/backends.js';
import { imsiOf, makeHss, milenageKeys, SNN, usim5g } from '../hss/fixture.js';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const subscriber = (n: number, version = 1): NewSubscriber => ({
  imsi: imsiOf(n),
  keyVersion: version,
  keys: milenageKeys(n),
});

for (const backend of backends()) {
  describe(`Hss.createMany on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.cleanup());

    it('inserts the new subscribers with their audit line and leaves existing ones unchanged', async () => {
      const store = await backend.open();
      try {
        const { hss, auc } = makeHss(store);
        await hss.create(subscriber(3, 7), 'test');
        const batch = Array.from({ length: 2500 }, (_, i) => subscriber(i));
        const { existing } = await hss.createMany(batch, 'bulk');
        assert.deepEqual(existing, [imsiOf(3)]);
        assert.equal((await hss.get(imsiOf(3))).activeVersion, 7, 'the existing one kept its keys');
        assert.equal((await hss.get(imsiOf(2499))).activeVersion, 1);
        const audit = await hss.audit(imsiOf(42));
        assert.deepEqual(
          audit.map((a) => [a.event, a.actor]),
          [['subscriber-created', 'bulk']],
        );
        assert.equal((await hss.audit(imsiOf(3))).length, 1, 'no second creation line for the existing one');
        // The sealed keys open and compute vectors a USIM with the same keys accepts.
        const v = await auc.generateHeAka(imsiOf(42), SNN);
        assert.doesNotThrow(() => usim5g(milenageKeys(42), v.rand, v.autn));
        assert.equal(await hss.activeKeysEqual(imsiOf(42), milenageKeys(42), 1), true);
        assert.equal(await hss.activeKeysEqual(imsiOf(42), milenageKeys(43), 1), false, 'other keys');
        assert.equal(await hss.activeKeysEqual(imsiOf(42), milenageKeys(42), 2), false, 'other version');
        assert.equal(await hss.activeKeysEqual(imsiOf(99_999), milenageKeys(42), 1), undefined);
        const again = await hss.createMany(batch.slice(0, 10), 'bulk');
        assert.equal(again.existing.length, 10, 'a repeated import changes nothing');
      } finally {
        await store.close();
      }
    });

    it('validates every entry before writing any', async () => {
      const store = await backend.open();
      try {
        const { hss } = makeHss(store);
        const bad = { ...subscriber(2), imsi: '12345' };
        await assert.rejects(hss.createMany([subscriber(1), bad], 'bulk'), /imsi/);
        await assert.rejects(hss.get(imsiOf(1)), /imsi-001010000000001|unknown|not found/i);
      } finally {
        await store.close();
      }
    });
  });
}

describe('ltku hss import of the bulk form', () => {
  function bulkFile(lines: object[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'ltku-bulk-'));
    dirs.push(dir);
    const path = join(dir, 'fleet.jsonl');
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { mode: 0o600 });
    return path;
  }
  const card = (eid: string, from: number, count: number) => ({
    format: 'ltku-subscribers/1',
    eid,
    subscribers: Array.from({ length: count }, (_, i) => {
      const k = milenageKeys(from + i);
      return {
        imsi: imsiOf(from + i),
        iccid: `8901${String(from + i).padStart(14, '0')}0`,
        algorithm: 'milenage',
        k: toHex(k.k),
        opc: toHex(k.opc),
      };
    }),
  });
  const EID = '89049032000001000000000000000045';

  it('imports every line, reports existing IMSIs, and the server reads the same file', async () => {
    const file = bulkFile([card(EID, 0, 3), card(EID.replace('45', '46'), 3, 2)]);
    const dataDir = join(file, '..', 'hss');
    const first = await runCli(['hss', 'import', file, '--data-dir', dataDir, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const r = JSON.parse(first.stdout);
    assert.equal(r.cards, 2);
    assert.equal(r.created, 5);
    const second = JSON.parse(
      (await runCli(['hss', 'import', file, '--data-dir', dataDir, '--json'])).stdout,
    );
    assert.equal(second.created, 0);
    assert.equal(second.exists.length, 5);
    assert.equal(first.stdout.includes(toHex(milenageKeys(0).k)), false, 'no key in the output');
    const inventory = parseInventoryText((await import('node:fs')).readFileSync(file, 'utf8'));
    assert.deepEqual(
      inventory.map((e) => e.imsi),
      [0, 1, 2, 3, 4].map(imsiOf),
    );
  });

  it('names the line and field of a bad entry, never its value', async () => {
    const bad = card(EID, 10, 2);
    (bad.subscribers[1] as { opc: string }).opc = 'zz-not-hex-secret';
    const file = bulkFile([card(EID, 0, 1), bad]);
    const r = await runCli(['hss', 'import', file, '--data-dir', join(file, '..', 'hss')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /line 2: subscribers\[1\]\.opc/);
    assert.equal(r.stderr.includes('zz-not-hex-secret'), false);
  });

  it('tells the bulk form from an indented single file by its first line', () => {
    assert.equal(isPersonalisationLines('{"format":"ltku-subscribers/1","subscribers":[]}'), true);
    assert.equal(isPersonalisationLines('{'), false);
    assert.equal(isPersonalisationLines('  {"format": "ltku-subscribers/1",'), false);
  });
});

// The card image file: JSON round trip, clear errors for bad files, mode 0600, and atomicity: a process killed
// at each write point of a key update leaves the old keys or the new keys, whole.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../../src/crypto/index.js';
import {
  CardImageError,
  decodeCardImage,
  encodeCardImage,
  FileCardStore,
  loadCardImage,
  WRITE_POINTS,
} from '../../src/card/index.js';
import { ROOT } from '../helpers/vectors.js';
import { newKeys, setup } from './support/fixture.js';

describe('card image file', () => {
  it('round-trips an image (also after a key update with parameters) and is written with mode 0600', () => {
    const s = setup('image', { algorithm: 'tuak', profiles: 3, dataObjects: 'bare' });
    const withParams = {
      ...s.image,
      profiles: s.image.profiles.map((p, i) =>
        i === 0 ? { ...p, keys: { ...p.keys, parameters: { kind: 'tuak' as const, macLength: 16 } } } : p,
      ),
    };
    assert.deepEqual(decodeCardImage(encodeCardImage(withParams)), withParams);
    const dir = mkdtempSync(join(tmpdir(), 'ltku-card-'));
    try {
      const path = join(dir, 'card.json');
      new FileCardStore(path).save(withParams);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(loadCardImage(path), withParams);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names what is wrong in a bad file, never a key', () => {
    const s = setup('bad');
    const good = JSON.parse(encodeCardImage(s.image));
    const cases: [string, (j: any) => unknown, RegExp][] = [
      ['not JSON', () => '{', /not JSON/],
      ['another format', (j) => ({ ...j, format: 'ltku-card/9' }), /ltku-card\/9 is not supported/],
      ['a short EID', (j) => ({ ...j, eid: '123' }), /eid/],
      [
        'a Milenage K of 15 bytes',
        (j) => {
          j.profiles[0].k = j.profiles[0].k.slice(2);
          return j;
        },
        /profiles\.0.*key lengths/,
      ],
      [
        'an SQN array of the wrong size',
        (j) => {
          j.profiles[0].sqn.seqMs = ['0'];
          return j;
        },
        /profiles\.0\.sqn: SQN state/,
      ],
      [
        'a bad curve',
        (j) => {
          j.keySets[0].curve = 'P-999';
          return j;
        },
        /keySets\.0\.curve/,
      ],
    ];
    for (const [name, edit, pattern] of cases) {
      const text =
        typeof edit(structuredClone(good)) === 'string' ? '{' : JSON.stringify(edit(structuredClone(good)));
      assert.throws(
        () => decodeCardImage(text),
        (e: unknown) =>
          e instanceof CardImageError && pattern.test(e.message) && !e.message.includes(good.profiles[0].k),
        name,
      );
    }
    // A damaged file whose text starts with key material: V8's JSON error would quote it.
    const k = good.profiles[0].k as string;
    assert.throws(
      () => decodeCardImage(`x${k}`),
      (e: unknown) =>
        e instanceof CardImageError && /not JSON/.test(e.message) && !e.message.includes(k.slice(0, 8)),
    );
    assert.throws(() => loadCardImage('/nonexistent/card.json'), /cannot read card image/);
  });
});

describe('atomic key update', () => {
  it('a process killed at each write point leaves the old or the new keys, whole', () => {
    const s = setup('crash');
    const oldK = s.image.profiles[0].keys.k;
    const fresh = newKeys(new SeededRandom('new-keys'));
    const dir = mkdtempSync(join(tmpdir(), 'ltku-crash-'));
    const renamedAt = WRITE_POINTS.indexOf('renamed');
    try {
      for (let point = -1; point < WRITE_POINTS.length; point++) {
        const path = join(dir, `card-${point}.json`);
        writeFileSync(path, encodeCardImage(s.image), { mode: 0o600 });
        const child = spawnSync(
          process.execPath,
          ['--import', 'tsx', join(ROOT, 'tests/card/support/crash-child.ts'), path, String(point)],
          { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
        );
        const label = point < 0 ? 'no crash' : WRITE_POINTS[point];
        if (point < 0) assert.equal(child.status, 0, `${label}: ${child.stderr}`);
        else assert.equal(child.signal, 'SIGKILL', `${label}: ${child.stderr}`);
        const image = decodeCardImage(readFileSync(path, 'utf8'));
        const p = image.profiles[0];
        const isNew = point < 0 || point >= renamedAt;
        assert.deepEqual(p.keys.k, isNew ? fresh.k : oldK, label);
        assert.deepEqual(p.keys.opc, isNew ? fresh.opc : s.image.profiles[0].keys.opc, label);
        assert.equal(p.keyVersion, isNew ? 2 : 1, label);
        assert.equal(p.lastUpdate !== undefined, isNew, label);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.js';
import {
  caKeyInformation,
  curveIdOf,
  DataObjectError,
  decodeCaKlocIdentifiers,
  decodeCapabilities,
  decodeCertificateStore,
  decodeKeyInformation,
  decodeKeyReferenceQuery,
  encodeCaKlocIdentifiers,
  encodeCapabilities,
  encodeCertificateStore,
  encodeKeyInformation,
  encodeKeyReferenceQuery,
  scp11KeyInformation,
} from '../../src/gp/data-objects/index.js';
import { loadVectors } from '../helpers/vectors.js';

describe('E0 Key Information Template', () => {
  const entries = [scp11KeyInformation(0x11, 0x03, 32, 0x00), caKeyInformation(0x10, 0x03, 48, 0x01)];
  it('encodes both forms as DESIGN.md 4.3 shows', () => {
    assert.equal(
      toHex(encodeKeyInformation(entries, 'bare')).toUpperCase(),
      'C0061103B120F000C0061003B030F001',
    );
    assert.equal(
      toHex(encodeKeyInformation(entries, 'gp')).toUpperCase(),
      'E010C0061103B120F000C0061003B030F001',
    );
  });
  it('decodes both forms to the same entries and the same digest value', () => {
    const gp = decodeKeyInformation(encodeKeyInformation(entries, 'gp'));
    const bare = decodeKeyInformation(encodeKeyInformation(entries, 'bare'));
    assert.deepEqual(gp.entries, entries);
    assert.deepEqual(bare.entries, entries);
    assert.deepEqual(gp.value, bare.value);
    assert.equal(gp.form, 'gp');
    assert.equal(bare.form, 'bare');
    assert.equal(curveIdOf(gp.entries[1]), 1);
  });
  it('refuses malformed entries', () => {
    assert.throws(() => decodeKeyInformation(fromHex('C00311')), DataObjectError);
    assert.throws(() => decodeKeyInformation(fromHex('E003C10111')), DataObjectError);
    assert.throws(() => decodeKeyInformation(fromHex('C006')), DataObjectError);
  });
});

describe('BF30 capabilities', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(
        fc.record({
          curveIds: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 6 }),
          aesKeyLengths: fc.subarray([16, 24, 32]),
          akaAlgorithms: fc.subarray([1, 2]),
          minAesKeyLength: fc.constantFrom(16, 24, 32),
          scp11Variants: fc.subarray([0, 1, 3]),
        }),
        (generated) => {
          const c = { ...generated };
          const encoded = encodeCapabilities(c);
          assert.equal(encoded[0], 0xbf);
          const d = decodeCapabilities(encoded);
          assert.deepEqual(d.capabilities, c);
          assert.deepEqual(decodeCapabilities(d.value).capabilities, c);
        },
      ),
    );
  });
  it('names a missing tag', () => {
    assert.throws(() => decodeCapabilities(fromHex('BF3006800100830110')), /tag 81 missing/);
  });
});

describe('FF33 CA-KLOC identifiers', () => {
  it('encodes bare pairs, decodes both forms', () => {
    const ids = [{ keyId: new Uint8Array(20).fill(7), kid: 0x10, kvn: 3 }];
    const bare = encodeCaKlocIdentifiers(ids);
    assert.equal(toHex(bare).toUpperCase(), '4214' + '07'.repeat(20) + '83021003');
    assert.deepEqual(decodeCaKlocIdentifiers(bare), ids);
    assert.deepEqual(decodeCaKlocIdentifiers(fromHex('FF331A' + toHex(bare))), ids);
    assert.throws(() => decodeCaKlocIdentifiers(fromHex('420100')), DataObjectError);
  });
});

describe('BF21 certificate store', () => {
  const vectors = loadVectors('scp11-card').vectors as {
    name: string;
    CERT_SD_chain: string[];
    GET_DATA_rapdus: string[];
  }[];
  for (const v of vectors) {
    it(`wraps the chain of ${v.name} exactly as the card answered it`, () => {
      const chain = v.CERT_SD_chain.map((h) => fromHex(h));
      const answered = fromHex(v.GET_DATA_rapdus.map((r) => r.slice(0, -4)).join(''));
      assert.deepEqual(encodeCertificateStore(chain, 'gp'), answered);
      assert.deepEqual(decodeCertificateStore(answered), chain);
      assert.deepEqual(decodeCertificateStore(encodeCertificateStore(chain, 'bare')), chain);
    });
  }
  it('refuses a non-certificate', () => {
    assert.throws(() => decodeCertificateStore(fromHex('BF2103040100')), DataObjectError);
  });
  it('codes the key reference query', () => {
    assert.deepEqual(encodeKeyReferenceQuery({ kid: 0x11, kvn: 3 }), fromHex('A60483021103'));
    assert.deepEqual(decodeKeyReferenceQuery(fromHex('A60483021103')), { kid: 0x11, kvn: 3 });
    assert.throws(() => decodeKeyReferenceQuery(fromHex('A6028300')), DataObjectError);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex, xorBytes } from '../../src/bytes/index.js';
import { AesCmac, aesCbcEncrypt, aesCmac, aesEcbEncrypt } from '../../src/crypto/index.js';
import { loadVectors } from '../helpers/vectors.js';

interface CmacCase {
  name: string;
  key: string;
  message: string;
  tag: string;
}
const { cases } = loadVectors<{ cases: CmacCase[] }>('cmac');

describe('AES-CMAC published examples (tests/vectors/cmac.json)', () => {
  assert.ok(cases.length >= 12);
  for (const v of cases) {
    it(v.name, () => {
      const key = fromHex(v.key);
      const message = fromHex(v.message);
      assert.equal(toHex(aesCmac(key, message)), v.tag);
      assert.equal(toHex(new AesCmac(key).mac(message)), v.tag);
    });
  }
});

describe('AES-CMAC properties', () => {
  it('an AesCmac instance gives the same tag on repeated use', () => {
    const mac = new AesCmac(fromHex(cases[0].key));
    const m = fromHex('6bc1bee22e409f96e93d7e117393172a');
    assert.deepEqual(mac.mac(m), mac.mac(m));
    assert.deepEqual(mac.mac(new Uint8Array(0)), aesCmac(fromHex(cases[0].key), new Uint8Array(0)));
  });

  it('one AesCmac instance reproduces every published tag of its key, in any order', () => {
    for (const v of [...cases].reverse()) {
      const mac = new AesCmac(fromHex(v.key));
      for (const w of cases.filter((c) => c.key === v.key)) {
        assert.equal(toHex(mac.mac(fromHex(w.message))), w.tag, w.name);
      }
      mac.dispose();
      assert.throws(() => mac.mac(new Uint8Array(0)), /disposed/);
    }
  });

  // SP 800-38B 6.2 restated with independent primitives: CBC-MAC whose last block is XORed with K1/K2.
  it('property: equals CBC-MAC with subkeys derived from AES-ECB (SP 800-38B 6.1/6.2)', () => {
    const dbl = (b: Uint8Array): Uint8Array => {
      let v = BigInt('0x' + toHex(b)) << 1n;
      if (v >> 128n) v = (v & ((1n << 128n) - 1n)) ^ 0x87n;
      return fromHex(v.toString(16).padStart(32, '0'));
    };
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 70 }),
        (keyLength, keyBytes, message) => {
          const key = keyBytes.subarray(0, keyLength);
          const k1 = dbl(aesEcbEncrypt(key, new Uint8Array(16)));
          const k2 = dbl(k1);
          const complete = message.length > 0 && message.length % 16 === 0;
          const padded = complete
            ? message
            : concatBytes(message, Uint8Array.of(0x80), new Uint8Array(15 - (message.length % 16)));
          const last = padded.length - 16;
          const tweaked = concatBytes(
            padded.subarray(0, last),
            xorBytes(padded.subarray(last), complete ? k1 : k2),
          );
          const cbc = aesCbcEncrypt(key, new Uint8Array(16), tweaked);
          assert.deepEqual(aesCmac(key, message), cbc.subarray(cbc.length - 16));
        },
      ),
      { numRuns: 150 },
    );
  });
});

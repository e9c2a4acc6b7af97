import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import fc from 'fast-check';
import { children, concatBytes, decodeTlv, fromHex, tlv, toHex, uintToBytes } from '../../src/bytes/index.js';
import {
  CURVES,
  CryptoError,
  FixedRandom,
  SeededRandom,
  curveByGpId,
  curveByName,
  decodePoint,
  decompressPoint,
  derToRaw,
  ecdh,
  ecdsaSign,
  ecdsaVerify,
  exportPrivateKeyPem,
  exportPrivateKeyPkcs8,
  exportPublicKeySpki,
  generateKeyPair,
  importPrivateKey,
  importPublicKeySpki,
  isScalarInRange,
  keyPairFromPrivate,
  rawToDer,
  type Curve,
  type HashName,
} from '../../src/crypto/index.js';
import { loadVectors } from '../helpers/vectors.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

interface EcdhCase {
  name: string;
  curve: string;
  private_key: string;
  public_key?: string;
  peer_public_key: string;
  shared_x: string;
}
interface EcdsaCase {
  name: string;
  curve: string;
  hash: HashName;
  private_key: string;
  public_key: string;
  message_utf8: string;
  signature_raw: string;
}
const vectors = loadVectors<{ ecdh: EcdhCase[]; ecdsa: EcdsaCase[] }>('ec');

/** An uncompressed point with its last byte changed: off the curve (a y-coordinate has at most one partner -y). */
function offCurve(point: Uint8Array): Uint8Array {
  const bad = Uint8Array.from(point);
  bad[bad.length - 1] ^= 0x01;
  return bad;
}

function compress(curve: Curve, point: Uint8Array): Uint8Array {
  const y = point[point.length - 1];
  return concatBytes(Uint8Array.of(y & 1 ? 0x03 : 0x02), point.subarray(1, 1 + curve.fieldSize));
}

describe('curves', () => {
  it('six curves with GP ids, field sizes and OIDs as DESIGN.md 4.2 lists them', () => {
    assert.deepEqual(
      CURVES.map((c) => [c.name, c.gpId, c.fieldSize]),
      [
        ['P-256', 0x00, 32],
        ['P-384', 0x01, 48],
        ['P-521', 0x02, 66],
        ['brainpoolP256r1', 0x03, 32],
        ['brainpoolP384r1', 0x05, 48],
        ['brainpoolP512r1', 0x07, 64],
      ],
    );
    for (const c of CURVES) {
      assert.equal(curveByGpId(c.gpId), c);
      assert.equal(curveByName(c.name), c);
      assert.equal(curveByName(c.opensslName), c);
    }
    assert.equal(curveByName('secp256r1').name, 'P-256');
  });

  it('unknown names and ids throw CryptoError naming them', () => {
    assert.throws(() => curveByName('secp256k1'), /secp256k1/);
    assert.throws(() => curveByGpId(4), /4/);
  });

  it('the base point G is on the curve and d = 1 gives G', () => {
    for (const c of CURVES) {
      const g = concatBytes(Uint8Array.of(4), uintToBytes(c.gx, c.fieldSize), uintToBytes(c.gy, c.fieldSize));
      assert.deepEqual(decodePoint(c, g), g);
      assert.deepEqual(keyPairFromPrivate(c, uintToBytes(1n, c.fieldSize)).publicKey, g);
    }
  });
});

describe('ECDH known answers (tests/vectors/ec.json ecdh)', () => {
  assert.ok(vectors.ecdh.length > 0);
  for (const v of vectors.ecdh) {
    it(v.name, () => {
      const curve = curveByName(v.curve);
      const kp = keyPairFromPrivate(curve, fromHex(v.private_key));
      if (v.public_key !== undefined) assert.equal(toHex(kp.publicKey), v.public_key);
      assert.equal(toHex(ecdh(curve, kp.privateKey, fromHex(v.peer_public_key))), v.shared_x);
    });
  }
});

describe('ECDSA known answers (tests/vectors/ec.json ecdsa)', () => {
  assert.ok(vectors.ecdsa.length > 0);
  for (const v of vectors.ecdsa) {
    it(v.name, () => {
      const curve = curveByName(v.curve);
      const pub = fromHex(v.public_key);
      assert.deepEqual(keyPairFromPrivate(curve, fromHex(v.private_key)).publicKey, pub);
      const raw = fromHex(v.signature_raw);
      const message = utf8(v.message_utf8);
      assert.equal(ecdsaVerify(curve, pub, message, raw, v.hash), true);
      assert.equal(ecdsaVerify(curve, pub, message, rawToDer(raw), v.hash), true);
      assert.equal(ecdsaVerify(curve, pub, utf8(v.message_utf8 + '.'), raw, v.hash), false);
    });
  }
});

describe('SUCI profile B (TS 33.501 C.4.4): P-256 ECDH with compressed points', () => {
  interface SuciCase {
    profile: string;
    curve: string;
    hn_private_key: string;
    hn_public_key: string;
    eph_private_key: string;
    eph_public_key: string;
    shared_secret: string;
  }
  const p256 = curveByName('P-256');
  const cases = loadVectors<{ cases: SuciCase[] }>('suci').cases.filter((c) => c.curve.includes('P-256'));
  assert.ok(cases.length > 0, 'suci.json has a P-256 case');
  for (const v of cases) {
    it(`profile ${v.profile}: both sides derive the published shared secret`, () => {
      const hnPub = decompressPoint(p256, fromHex(v.hn_public_key));
      const ephPub = decompressPoint(p256, fromHex(v.eph_public_key));
      assert.equal(
        toHex(compress(p256, keyPairFromPrivate(p256, fromHex(v.hn_private_key)).publicKey)),
        v.hn_public_key,
      );
      assert.equal(
        toHex(compress(p256, keyPairFromPrivate(p256, fromHex(v.eph_private_key)).publicKey)),
        v.eph_public_key,
      );
      assert.equal(toHex(ecdh(p256, fromHex(v.eph_private_key), hnPub)), v.shared_secret);
      assert.equal(toHex(ecdh(p256, fromHex(v.hn_private_key), ephPub)), v.shared_secret);
    });
  }
});

for (const curve of CURVES) {
  describe(`${curve.name}`, () => {
    const rng = new SeededRandom(`ec test ${curve.name}`);
    const alice = generateKeyPair(curve, rng);
    const bob = generateKeyPair(curve, rng);
    const message = utf8('ltku key update');

    it('key generation: sizes, point on curve, reproducible from a FixedRandom holding d', () => {
      assert.equal(alice.privateKey.length, curve.fieldSize);
      assert.equal(alice.publicKey.length, 1 + 2 * curve.fieldSize);
      assert.deepEqual(decodePoint(curve, alice.publicKey), alice.publicKey);
      assert.notDeepEqual(alice.privateKey, bob.privateKey);
      const again = generateKeyPair(curve, new FixedRandom(alice.privateKey));
      assert.deepEqual(again.privateKey, alice.privateKey);
      assert.deepEqual(again.publicKey, alice.publicKey);
      assert.deepEqual(keyPairFromPrivate(curve, alice.privateKey).publicKey, alice.publicKey);
    });

    it('key generation rejects d = 0 and d >= n, then takes the next candidate', () => {
      const d = uintToBytes(5n, curve.fieldSize);
      const kp = generateKeyPair(
        curve,
        new FixedRandom(new Uint8Array(curve.fieldSize), uintToBytes(curve.order, curve.fieldSize), d),
      );
      assert.deepEqual(kp.privateKey, d);
    });

    it('ECDH: both sides agree on fieldSize bytes', () => {
      const z = ecdh(curve, alice.privateKey, bob.publicKey);
      assert.equal(z.length, curve.fieldSize);
      assert.deepEqual(ecdh(curve, bob.privateKey, alice.publicKey), z);
      assert.notDeepEqual(ecdh(curve, alice.privateKey, alice.publicKey), z);
    });

    it('ECDH and decodePoint reject off-curve, out-of-range, wrong-format and truncated points', () => {
      const n = curve.fieldSize;
      const bad: [string, Uint8Array][] = [
        ['off curve', offCurve(bob.publicKey)],
        ['truncated', bob.publicKey.subarray(0, bob.publicKey.length - 1)],
        ['empty', new Uint8Array(0)],
        ['point at infinity', Uint8Array.of(0)],
        ['compressed', compress(curve, bob.publicKey)],
        ['wrong prefix', concatBytes(Uint8Array.of(0x06), bob.publicKey.subarray(1))],
        ['x = p', concatBytes(Uint8Array.of(4), uintToBytes(curve.p, n), bob.publicKey.subarray(1 + n))],
        ['all zero', concatBytes(Uint8Array.of(4), new Uint8Array(2 * n))],
      ];
      for (const [what, point] of bad) {
        assert.throws(() => decodePoint(curve, point), CryptoError, what);
        assert.throws(() => ecdh(curve, alice.privateKey, point), CryptoError, what);
      }
    });

    it('ECDH refuses a bad peer point with the reason decodePoint gives (OpenSSL checks it on the fast path)', () => {
      const n = curve.fieldSize;
      const x = bob.publicKey.subarray(1, 1 + n);
      for (const point of [
        offCurve(bob.publicKey),
        concatBytes(Uint8Array.of(4), x, uintToBytes(curve.p, n)),
        concatBytes(Uint8Array.of(4), uintToBytes(curve.p - 1n, n), uintToBytes(curve.p - 1n, n)),
        compress(curve, bob.publicKey),
        bob.publicKey.subarray(0, 1 + n),
      ]) {
        let reason = '';
        assert.throws(
          () => decodePoint(curve, point),
          (e: Error) => ((reason = e.message), true),
        );
        assert.throws(() => ecdh(curve, alice.privateKey, point), { name: 'CryptoError', message: reason });
      }
    });

    it('isScalarInRange is 1 <= v <= n-1, as BigInt comparison says', () => {
      const n = curve.order;
      const size = curve.fieldSize;
      for (const v of [0n, 1n, 2n, n - 1n, n, n + 1n, (1n << BigInt(8 * size)) - 1n]) {
        assert.equal(isScalarInRange(curve, uintToBytes(v, size)), v >= 1n && v < n, `v = ${v}`);
      }
      assert.equal(isScalarInRange(curve, new Uint8Array(size - 1).fill(1)), false);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: size, maxLength: size }), (bytes) => {
          const v = BigInt(`0x${toHex(bytes)}`);
          assert.equal(isScalarInRange(curve, bytes), v >= 1n && v < n);
        }),
      );
    });

    it('rejects private keys of the wrong length, 0 and >= n', () => {
      for (const d of [
        new Uint8Array(curve.fieldSize - 1),
        new Uint8Array(curve.fieldSize),
        uintToBytes(curve.order, curve.fieldSize),
      ]) {
        assert.throws(() => keyPairFromPrivate(curve, d), CryptoError);
        assert.throws(() => ecdh(curve, d, bob.publicKey), CryptoError);
      }
    });

    it('decompressPoint recovers both parities', () => {
      for (const kp of [alice, bob, generateKeyPair(curve, rng), generateKeyPair(curve, rng)]) {
        assert.deepEqual(decompressPoint(curve, compress(curve, kp.publicKey)), kp.publicKey);
      }
      assert.deepEqual(decompressPoint(curve, alice.publicKey), alice.publicKey);
    });

    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      it(`ECDSA with ${hash}: DER and raw signatures verify, others do not`, () => {
        const der = ecdsaSign(curve, alice.privateKey, message, { hash });
        const raw = ecdsaSign(curve, alice.privateKey, message, { hash, format: 'raw' });
        assert.equal(der[0], 0x30);
        assert.equal(raw.length, 2 * curve.fieldSize);
        assert.equal(ecdsaVerify(curve, alice.publicKey, message, der, hash), true);
        assert.equal(ecdsaVerify(curve, alice.publicKey, message, raw, hash), true);
        assert.equal(ecdsaVerify(curve, bob.publicKey, message, der, hash), false);
        assert.equal(ecdsaVerify(curve, alice.publicKey, utf8('other'), raw, hash), false);
        // DER <-> raw conversions are inverse and keep the signature valid
        assert.deepEqual(rawToDer(derToRaw(der, curve)), der);
        assert.deepEqual(derToRaw(rawToDer(raw), curve), raw);
        assert.equal(ecdsaVerify(curve, alice.publicKey, message, derToRaw(der, curve), hash), true);
      });
    }

    it('ECDSA interoperates with node:crypto in both directions', () => {
      const privateKey = createPrivateKey({
        key: Buffer.from(exportPrivateKeyPkcs8(alice)),
        format: 'der',
        type: 'pkcs8',
      });
      const publicKey = createPublicKey({
        key: Buffer.from(exportPublicKeySpki(curve, alice.publicKey)),
        format: 'der',
        type: 'spki',
      });
      const theirs = nodeSign('sha256', message, privateKey);
      assert.equal(ecdsaVerify(curve, alice.publicKey, message, theirs), true);
      assert.equal(
        nodeVerify('sha256', message, publicKey, ecdsaSign(curve, alice.privateKey, message)),
        true,
      );
    });

    it('a malformed or truncated signature verifies false, never throws', () => {
      const der = ecdsaSign(curve, alice.privateKey, message);
      const raw = derToRaw(der, curve);
      for (const sig of [
        new Uint8Array(0),
        der.subarray(0, der.length - 1),
        raw.subarray(1),
        concatBytes(der, Uint8Array.of(0)),
        new Uint8Array(2 * curve.fieldSize),
        concatBytes(uintToBytes(curve.order, curve.fieldSize), raw.subarray(curve.fieldSize)),
      ]) {
        assert.equal(ecdsaVerify(curve, alice.publicKey, message, sig), false);
      }
      assert.throws(() => derToRaw(der.subarray(0, der.length - 1), curve), CryptoError);
      assert.throws(() => rawToDer(raw.subarray(1)), CryptoError);
      assert.throws(() => ecdsaVerify(curve, offCurve(alice.publicKey), message, der), CryptoError);
    });

    it('PKCS#8 PEM and DER round trip; SEC 1 (as OpenSSL writes it) imports', () => {
      const pem = exportPrivateKeyPem(alice);
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
      for (const input of [pem, exportPrivateKeyPkcs8(alice)]) {
        const back = importPrivateKey(input);
        assert.equal(back.curve, curve);
        assert.deepEqual(back.privateKey, alice.privateKey);
        assert.deepEqual(back.publicKey, alice.publicKey);
      }
      const keyObject = createPrivateKey(pem);
      const sec1Pem = keyObject.export({ format: 'pem', type: 'sec1' }) as string;
      const sec1Der = new Uint8Array(keyObject.export({ format: 'der', type: 'sec1' }));
      assert.match(sec1Pem, /BEGIN EC PRIVATE KEY/);
      assert.deepEqual(importPrivateKey(sec1Pem).privateKey, alice.privateKey);
      assert.deepEqual(importPrivateKey(sec1Der).publicKey, alice.publicKey);
      // node re-encodes our PKCS#8 to the same bytes
      assert.deepEqual(
        new Uint8Array(keyObject.export({ format: 'der', type: 'pkcs8' })),
        exportPrivateKeyPkcs8(alice),
      );
    });

    it('SPKI round trip, byte-identical to node:crypto, compressed SPKI accepted', () => {
      const spki = exportPublicKeySpki(curve, alice.publicKey);
      const viaNode = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      assert.deepEqual(new Uint8Array(viaNode.export({ format: 'der', type: 'spki' })), spki);
      const back = importPublicKeySpki(spki);
      assert.equal(back.curve, curve);
      assert.deepEqual(back.publicKey, alice.publicKey);
      assert.deepEqual(
        importPublicKeySpki(viaNode.export({ format: 'pem', type: 'spki' }) as string).publicKey,
        alice.publicKey,
      );
      // the same SubjectPublicKeyInfo with a compressed point (RFC 5480 2.2 allows it)
      const algorithm = children(decodeTlv(spki))[0].raw;
      const compressed = tlv(0x30, algorithm, tlv(0x03, Uint8Array.of(0), compress(curve, alice.publicKey)));
      assert.deepEqual(importPublicKeySpki(compressed).publicKey, alice.publicKey);
    });
  });
}

describe('key import errors', () => {
  const p256 = curveByName('P-256');
  const kp = generateKeyPair(p256, new SeededRandom('import errors'));
  const pkcs8 = exportPrivateKeyPkcs8(kp);

  it('rejects truncated, trailing-garbage and non-key input with CryptoError', () => {
    for (const bad of [
      pkcs8.subarray(0, pkcs8.length - 1),
      concatBytes(pkcs8, Uint8Array.of(0)),
      new Uint8Array(0),
      fromHex('300302010a'),
      'not a key',
      '-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n',
    ]) {
      assert.throws(() => importPrivateKey(bad), CryptoError);
    }
    const spki = exportPublicKeySpki(p256, kp.publicKey);
    assert.throws(() => importPublicKeySpki(spki.subarray(0, spki.length - 1)), CryptoError);
    assert.throws(() => importPublicKeySpki(concatBytes(spki, Uint8Array.of(0))), CryptoError);
  });

  it('rejects an off-curve point in SPKI and a mismatched public key in PKCS#8', () => {
    const spki = exportPublicKeySpki(p256, kp.publicKey);
    assert.throws(() => importPublicKeySpki(offCurve(spki)), /not on the curve/);
    const other = generateKeyPair(p256, new SeededRandom('other'));
    const tampered = Uint8Array.from(pkcs8);
    tampered.set(other.publicKey, pkcs8.length - other.publicKey.length);
    assert.throws(() => importPrivateKey(tampered), /does not match/);
  });

  it('an unsupported curve is named in the error (secp256k1, OID 1.3.132.0.10)', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const der = new Uint8Array(k1.privateKey.export({ format: 'der', type: 'pkcs8' }));
    assert.throws(() => importPrivateKey(der), /1\.3\.132\.0\.10/);
    const spki = new Uint8Array(k1.publicKey.export({ format: 'der', type: 'spki' }));
    assert.throws(() => importPublicKeySpki(spki), /1\.3\.132\.0\.10/);
  });

  it('error messages never contain key material', () => {
    const hex = toHex(kp.privateKey);
    try {
      importPrivateKey(pkcs8.subarray(0, pkcs8.length - 3));
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof CryptoError);
      assert.ok(!e.message.includes(hex));
    }
  });

  it('property: random bytes never crash the importers (CryptoError or a valid key)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), (bytes) => {
        for (const f of [
          () => importPrivateKey(bytes),
          () => importPublicKeySpki(bytes),
          () => derToRaw(bytes, p256),
        ]) {
          try {
            f();
          } catch (e) {
            assert.ok(e instanceof CryptoError, String(e));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

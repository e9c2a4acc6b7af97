import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BRAINPOOL_P256R1,
  CryptoError,
  EcdhKey,
  P256,
  P521,
  SeededRandom,
  ecdh,
  generateKeyPair,
} from '../../src/crypto/index.js';

describe('EcdhKey (a private key in its own ECDH context, issue 11)', () => {
  it('generates the key generateKeyPair draws from the same random state, and agrees with ecdh()', () => {
    for (const curve of [P256, BRAINPOOL_P256R1, P521]) {
      const key = EcdhKey.generate(curve, new SeededRandom(`ecdh-key-${curve.name}`));
      const same = generateKeyPair(curve, new SeededRandom(`ecdh-key-${curve.name}`));
      assert.deepEqual(key.keyPair.privateKey, same.privateKey, curve.name);
      assert.deepEqual(key.keyPair.publicKey, same.publicKey, curve.name);
      const peer = generateKeyPair(curve, new SeededRandom(`peer-${curve.name}`));
      const z = key.sharedSecret(peer.publicKey);
      assert.equal(z.length, curve.fieldSize);
      assert.deepEqual(z, ecdh(curve, same.privateKey, peer.publicKey));
      assert.deepEqual(z, ecdh(curve, peer.privateKey, same.publicKey));
    }
  });

  it('wraps an existing pair by its scalar, refuses a scalar out of range', () => {
    const rng = new SeededRandom('ecdh-key-of');
    const own = generateKeyPair(P256, rng);
    const peer = generateKeyPair(P256, rng);
    assert.deepEqual(
      EcdhKey.of(own).sharedSecret(peer.publicKey),
      ecdh(P256, own.privateKey, peer.publicKey),
    );
    const zero = { ...own, privateKey: new Uint8Array(32) };
    assert.throws(() => EcdhKey.of(zero), CryptoError);
    assert.throws(() => EcdhKey.of({ ...own, privateKey: new Uint8Array(31).fill(1) }), CryptoError);
  });

  it('validates the peer point, and refuses to work once disposed', () => {
    const rng = new SeededRandom('ecdh-key-peer');
    const key = EcdhKey.generate(P256, rng);
    const peer = generateKeyPair(P256, rng).publicKey;
    const offCurve = Uint8Array.from(peer);
    offCurve[64] ^= 1;
    assert.throws(() => key.sharedSecret(offCurve), /not on the curve/);
    assert.throws(() => key.sharedSecret(peer.subarray(0, 33)), CryptoError);
    assert.equal(key.disposed, false);
    key.dispose();
    key.dispose();
    assert.equal(key.disposed, true);
    assert.throws(() => key.sharedSecret(peer), /disposed/);
  });
});

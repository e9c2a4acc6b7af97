import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH } from 'node:crypto';
import {
  EcKeyObjectCache,
  P256,
  SeededRandom,
  ecKeyObjects,
  ecdh,
  ecdsaSign,
  ecdsaVerify,
  forgetPrivateKey,
  generateKeyPair,
} from '../../src/crypto/index.js';
import { privateKeyId } from '../../src/crypto/ec-key-objects.js';

describe('EC key object cache', () => {
  it('holds the objects of the keys in use; forgetPrivateKey drops an ephemeral key, clear() everything', () => {
    const rng = new SeededRandom('ec-key-objects');
    ecKeyObjects.clear();
    assert.equal(ecKeyObjects.size, 0);
    const own = generateKeyPair(P256, rng);
    const peer = generateKeyPair(P256, rng);
    assert.equal(ecKeyObjects.size, 2, 'one ECDH context per generated key');
    const z = ecdh(P256, own.privateKey, peer.publicKey);
    assert.deepEqual(z, ecdh(P256, peer.privateKey, own.publicKey));
    const signature = ecdsaSign(P256, own.privateKey, Uint8Array.of(1, 2, 3));
    assert.ok(ecdsaVerify(P256, own.publicKey, Uint8Array.of(1, 2, 3), signature));
    assert.equal(ecKeyObjects.size, 4, 'plus a signing and a verifying key');
    forgetPrivateKey(P256, own.privateKey);
    assert.equal(ecKeyObjects.size, 2, 'the ECDH context and the signing key of `own` are gone');
    // still usable: the objects are made again
    assert.deepEqual(ecdh(P256, own.privateKey, peer.publicKey), z);
    ecKeyObjects.clear();
    assert.equal(ecKeyObjects.size, 0);
  });

  it('keeps at most `limit` objects of each kind', () => {
    const cache = new EcKeyObjectCache(2);
    const rng = new SeededRandom('ec-key-objects-limit');
    let made = 0;
    const context = () => {
      made++;
      return createECDH(P256.opensslName);
    };
    const ids = [1, 2, 3].map(() => privateKeyId(P256, generateKeyPair(P256, rng).privateKey));
    for (const id of ids) cache.ecdh(id, context);
    assert.equal(cache.size, 2);
    cache.ecdh(ids[2], context);
    assert.equal(made, 3, 'the newest is still there');
    cache.ecdh(ids[0], context);
    assert.equal(made, 4, 'the oldest was dropped');
    cache.clear();
    assert.equal(cache.size, 0);
  });
});

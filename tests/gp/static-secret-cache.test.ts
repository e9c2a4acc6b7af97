import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { P256, SeededRandom, ecdh, generateKeyPair } from '../../src/crypto/index.js';
import { StaticSecretCache } from '../../src/gp/index.js';

describe('StaticSecretCache (ShSs per own key pair and peer key)', () => {
  it('answers ECDH(own, peer), a copy each time, once per pair, bounded, and forgets on clear()', () => {
    const rng = new SeededRandom('static-secrets');
    const [a, b, c] = [1, 2, 3].map(() => generateKeyPair(P256, rng));
    const cache = new StaticSecretCache(2);
    const ab = cache.sharedSecret(a, b.publicKey);
    assert.deepEqual(ab, ecdh(P256, a.privateKey, b.publicKey));
    ab.fill(0);
    assert.deepEqual(cache.sharedSecret(a, b.publicKey), ecdh(P256, a.privateKey, b.publicKey));
    assert.equal(cache.size, 1);
    // another own key pair with the same peer is another entry
    assert.deepEqual(cache.sharedSecret(c, b.publicKey), ecdh(P256, c.privateKey, b.publicKey));
    assert.equal(cache.size, 2);
    assert.deepEqual(cache.sharedSecret(a, c.publicKey), ecdh(P256, a.privateKey, c.publicKey));
    assert.equal(cache.size, 2, 'the oldest pair made room');
    cache.clear();
    assert.equal(cache.size, 0);
    assert.deepEqual(cache.sharedSecret(a, b.publicKey), ecdh(P256, a.privateKey, b.publicKey));
  });

  it('tells key pairs apart by object, not by their public key', () => {
    const rng = new SeededRandom('static-secrets-2');
    const a = generateKeyPair(P256, rng);
    const peer = generateKeyPair(P256, rng);
    const other = generateKeyPair(P256, rng);
    // a pair whose public key lies: its own scalar decides ShSs
    const liar = { ...other, publicKey: a.publicKey };
    const cache = new StaticSecretCache();
    cache.sharedSecret(a, peer.publicKey);
    assert.deepEqual(cache.sharedSecret(liar, peer.publicKey), ecdh(P256, other.privateKey, peer.publicKey));
  });
});

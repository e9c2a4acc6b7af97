// The OpenSSL objects of EC keys, kept per key (deriving a public point or parsing DER costs more than the
// operation itself): an explicit, bounded cache with a size and a way to clear. Private keys are found by the
// SHA-256 of their scalar, so no JS string (which cannot be wiped) holds d itself.
import type { ECDH as EcdhObject, KeyObject } from 'node:crypto';
import { toHex } from '../bytes/index.js';
import { BoundedCache } from '../ports/index.js';
import type { Curve } from './curves.js';
import { sha256 } from './hash.js';

/** Entries of each kind (ECDH contexts, signing keys, verifying keys) a default cache keeps. */
export const DEFAULT_EC_KEY_OBJECTS = 512;

/** The cache key of a private scalar: curve and SHA-256(d). */
export function privateKeyId(curve: Curve, privateKey: Uint8Array): string {
  return `${curve.name}:${toHex(sha256(privateKey))}`;
}

function publicKeyId(curve: Curve, publicKey: Uint8Array): string {
  return `${curve.name}:${toHex(publicKey)}`;
}

export class EcKeyObjectCache {
  readonly #ecdh: BoundedCache<string, EcdhObject>;
  readonly #signing: BoundedCache<string, KeyObject>;
  readonly #verifying: BoundedCache<string, KeyObject>;

  /** `limit`: the most entries of each kind; adding one more drops that kind's oldest. */
  constructor(readonly limit: number = DEFAULT_EC_KEY_OBJECTS) {
    this.#ecdh = new BoundedCache(limit);
    this.#signing = new BoundedCache(limit);
    this.#verifying = new BoundedCache(limit);
  }

  /** Entries held, all kinds together. */
  get size(): number {
    return this.#ecdh.size + this.#signing.size + this.#verifying.size;
  }

  /** The ECDH context of the private key `id` (privateKeyId), made by `create` when absent. */
  ecdh(id: string, create: () => EcdhObject): EcdhObject {
    return this.#ecdh.getOrCreate(id, create);
  }

  /** The signing KeyObject of the private key `id` (privateKeyId), made by `create` when absent. */
  signingKey(id: string, create: () => KeyObject): KeyObject {
    return this.#signing.getOrCreate(id, create);
  }

  verifyingKey(curve: Curve, publicKey: Uint8Array, create: () => KeyObject): KeyObject {
    return this.#verifying.getOrCreate(publicKeyId(curve, publicKey), create);
  }

  /**
   * Drops the objects kept for this private key (an ephemeral key at the end of its handshake), so the cache
   * does not hold a copy of a scalar the caller wipes; OpenSSL clears the scalar when the object is freed.
   */
  forgetPrivateKey(curve: Curve, privateKey: Uint8Array): void {
    const id = privateKeyId(curve, privateKey);
    this.#ecdh.delete(id);
    this.#signing.delete(id);
  }

  clear(): void {
    this.#ecdh.clear();
    this.#signing.clear();
    this.#verifying.clear();
  }
}

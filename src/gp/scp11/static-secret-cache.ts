// ShSs = ECDH(static key, peer's static key) is the same for every session between the same two parties
// (GPC Amd F 3.1.2), so a role may remember it per own key pair and peer key: one scalar multiplication saved
// per handshake. An explicit object: whoever composes the role (OCE parameters, security domain, server session
// configuration) creates one and shares it across sessions; bounded, oldest out first, with a size and clear().
import { toHex, wipe } from '../../bytes/index.js';
import { EcdhKey, ecdh, type EcKeyPair } from '../../crypto/index.js';
import { BoundedCache } from '../../ports/index.js';

/** Pairs (own key, peer key) a default cache keeps. */
export const DEFAULT_STATIC_SECRETS = 1024;

export class StaticSecretCache {
  readonly #secrets: BoundedCache<string, Uint8Array>;
  /**
   * Own key pairs by object (no secret ends up in a map key), each with a number for the cache key and its
   * ECDH context, imported once (not looked up by a hash of the scalar at each miss).
   */
  #owners = new WeakMap<EcKeyPair, { readonly id: number; readonly key: EcdhKey }>();
  #nextOwner = 0;

  /** `limit`: the most (own key, peer key) pairs kept; one more drops the oldest. */
  constructor(readonly limit: number = DEFAULT_STATIC_SECRETS) {
    this.#secrets = new BoundedCache(limit);
  }

  get size(): number {
    return this.#secrets.size;
  }

  /** ECDH(own static private key, peer static public key), from the cache when this pair was seen before. */
  sharedSecret(own: EcKeyPair, peerPublicKey: Uint8Array): Uint8Array {
    let owner = this.#owners.get(own);
    if (owner === undefined) {
      owner = { id: this.#nextOwner++, key: EcdhKey.of(own) };
      this.#owners.set(own, owner);
    }
    const { key } = owner;
    const shSs = this.#secrets.getOrCreate(`${owner.id}:${toHex(peerPublicKey)}`, () =>
      Uint8Array.from(key.sharedSecret(peerPublicKey)),
    );
    return Uint8Array.from(shSs);
  }

  /** Forgets (and wipes) every secret and drops the own keys' contexts, e.g. after a static key changed. */
  clear(): void {
    this.#secrets.clear((shSs) => wipe(shSs));
    this.#owners = new WeakMap();
  }
}

/** ShSs through `cache` when there is one, computed afresh otherwise. */
export function staticSharedSecret(
  cache: StaticSecretCache | undefined,
  own: EcKeyPair,
  peerPublicKey: Uint8Array,
): Uint8Array {
  return cache === undefined
    ? Uint8Array.from(ecdh(own.curve, own.privateKey, peerPublicKey))
    : cache.sharedSecret(own, peerPublicKey);
}

// SEC 1 3.3.1 ECDH with a private key held in its own OpenSSL context for as long as its owner keeps it: the
// ephemeral key of one SCP11 handshake (GPC Amd F 3.1.2), or a static key a role uses for many. Unlike the free
// functions of ec.ts (process-wide ecKeyObjects cache, looked up by SHA-256 of the scalar at every call), the
// key is checked and imported once; dispose() drops the context.
import { createECDH, type ECDH } from 'node:crypto';
import type { Curve } from './curves.js';
import { checkPrivateKey, isScalarInRange, sharedSecret, type EcKeyPair } from './ec.js';
import { CryptoError } from './errors.js';
import type { RandomSource } from './random.js';

const MAX_KEYGEN_ATTEMPTS = 64;

/** Bits of the top byte of a fieldSize-byte scalar that n leaves unused (7 on P-521, 0 elsewhere). */
function excessTopBits(curve: Curve): number {
  let excess = 0;
  while (excess < 8 && curve.order >> BigInt(8 * curve.fieldSize - 1 - excess) === 0n) excess++;
  return excess;
}

function contextOf(curve: Curve, privateKey: Uint8Array): ECDH {
  const context = createECDH(curve.opensslName);
  context.setPrivateKey(privateKey);
  return context;
}

export class EcdhKey {
  readonly keyPair: EcKeyPair;
  #context: ECDH | undefined;

  private constructor(keyPair: EcKeyPair, context: ECDH) {
    this.keyPair = keyPair;
    this.#context = context;
  }

  // FIPS 186-4 B.4.2 (testing candidates) exactly as ec.ts generateKeyPair: d = fieldSize random bytes, excess
  // top bits masked, retried while d = 0 or d >= n; the same RandomSource state gives the same key.
  /** A new key pair in its own context; its scalar belongs to the caller (wipe it after dispose()). */
  static generate(curve: Curve, rng: RandomSource): EcdhKey {
    const topMask = 0xff >> excessTopBits(curve);
    for (let attempt = 0; attempt < MAX_KEYGEN_ATTEMPTS; attempt++) {
      const d = Uint8Array.from(rng.randomBytes(curve.fieldSize));
      d[0] &= topMask;
      if (isScalarInRange(curve, d)) {
        const context = contextOf(curve, d);
        return new EcdhKey(
          { curve, privateKey: d, publicKey: new Uint8Array(context.getPublicKey()) },
          context,
        );
      }
      d.fill(0);
    }
    throw new CryptoError(
      `${curve.name} key generation: no valid scalar after ${MAX_KEYGEN_ATTEMPTS} attempts`,
    );
  }

  /** The context of an existing key pair's scalar (checked once, as ec.ts ecdh() checks it): the scalar decides. */
  static of(keyPair: EcKeyPair): EcdhKey {
    const { curve, privateKey } = keyPair;
    checkPrivateKey(curve, privateKey);
    return new EcdhKey(keyPair, contextOf(curve, privateKey));
  }

  get curve(): Curve {
    return this.keyPair.curve;
  }

  /** SEC 1 3.3.1 as ec.ts ecdh(): the peer point validated first (CryptoError), the x-coordinate, fieldSize bytes. */
  sharedSecret(peerPublicKey: Uint8Array): Uint8Array {
    const context = this.#context;
    const { curve } = this.keyPair;
    if (context === undefined) throw new CryptoError(`${curve.name} ECDH: the key has been disposed`);
    return sharedSecret(curve, context, peerPublicKey);
  }

  get disposed(): boolean {
    return this.#context === undefined;
  }

  /** Drops the context (OpenSSL clears the scalar when it frees it); later calls throw. Idempotent. */
  dispose(): void {
    this.#context = undefined;
  }
}

// Keys at rest (DESIGN.md 5): each key set is sealed as AES-256-GCM(KEK, K || OPc) with an AAD that binds the
// ciphertext to the subscriber, the key version and the algorithm, so a blob moved to another row does not open.
import { concatBytes } from '../bytes/index.js';
import { aesGcmOpen, aesGcmSeal, CryptoError, type RandomSource } from '../crypto/index.js';
import type { AkaAlgorithm } from '../aka/index.js';
import { StoreFailureError } from './errors.js';
import type { KeyMaterial } from './client/model.js';
import type { StoredKeySet } from './subscriber.js';

export const KEK_LENGTH = 32;
const AAD_LABEL = 'ltku-hss-keys/1';
const OPC_LENGTH: Record<AkaAlgorithm, number> = { milenage: 16, tuak: 32 };
const utf8 = new TextEncoder();

function aad(imsi: string, version: number, algorithm: AkaAlgorithm): Uint8Array {
  return utf8.encode(`${AAD_LABEL};imsi=${imsi};version=${version};algorithm=${algorithm}`);
}

export class KeyVault {
  readonly #kek: Uint8Array;

  constructor(
    kek: Uint8Array,
    private readonly rng: RandomSource,
  ) {
    if (!(kek instanceof Uint8Array) || kek.length !== KEK_LENGTH) {
      throw new CryptoError(`key-encryption key must be ${KEK_LENGTH} bytes`);
    }
    this.#kek = Uint8Array.from(kek);
  }

  seal(imsi: string, version: number, km: KeyMaterial): StoredKeySet {
    const sealed = aesGcmSeal(
      this.#kek,
      concatBytes(km.k, km.opc),
      aad(imsi, version, km.algorithm),
      this.rng,
    );
    return {
      version,
      algorithm: km.algorithm,
      tuak: km.algorithm === 'tuak' ? (km.tuak ?? null) : null,
      sealed,
    };
  }

  open(imsi: string, set: StoredKeySet): KeyMaterial {
    let plain: Uint8Array;
    try {
      plain = aesGcmOpen(this.#kek, set.sealed, aad(imsi, set.version, set.algorithm));
    } catch (e) {
      if (e instanceof CryptoError) {
        throw new StoreFailureError(
          `keys of imsi-${imsi} version ${set.version} do not open under this key-encryption key`,
        );
      }
      throw e;
    }
    const opcLength = OPC_LENGTH[set.algorithm];
    const k = plain.slice(0, plain.length - opcLength);
    const opc = plain.slice(plain.length - opcLength);
    plain.fill(0);
    return set.tuak === null
      ? { algorithm: set.algorithm, k, opc }
      : { algorithm: set.algorithm, k, opc, tuak: set.tuak };
  }
}

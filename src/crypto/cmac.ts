// AES-CMAC: RFC 4493 (AES-128) and NIST SP 800-38B (all AES key lengths).
import { AesCbcEncryptor } from './aes.js';

const BLOCK = 16;
const RB = 0x87;
const ZERO_BLOCK = new Uint8Array(BLOCK);

// RFC 4493 2.3 Generate_Subkey: doubling in GF(2^128).
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK - 1; i++) out[i] = ((block[i] << 1) | (block[i + 1] >> 7)) & 0xff;
  out[BLOCK - 1] = (block[BLOCK - 1] << 1) & 0xff;
  if (block[0] & 0x80) out[BLOCK - 1] ^= RB;
  return out;
}

/** CMAC with precomputed subkeys K1, K2 for one key; one AES context serves the subkeys and every MAC. */
export class AesCmac {
  readonly #cbc: AesCbcEncryptor;
  readonly #k1: Uint8Array;
  readonly #k2: Uint8Array;

  constructor(key: Uint8Array) {
    this.#cbc = new AesCbcEncryptor(key);
    // L = AES(K, 0^128): CBC with a zero IV over one zero block.
    const l = this.#cbc.encrypt(ZERO_BLOCK, ZERO_BLOCK);
    this.#k1 = double(l);
    this.#k2 = double(this.#k1);
    l.fill(0);
  }

  // RFC 4493 2.4 AES-CMAC: CBC-MAC over all blocks, the last one XORed with K1 (complete) or padded and XORed with K2.
  mac(message: Uint8Array): Uint8Array {
    const n = Math.max(1, Math.ceil(message.length / BLOCK));
    const complete = message.length > 0 && message.length % BLOCK === 0;
    const input = new Uint8Array(n * BLOCK);
    input.set(message);
    if (!complete) input[message.length] = 0x80;
    const subkey = complete ? this.#k1 : this.#k2;
    const last = (n - 1) * BLOCK;
    for (let i = 0; i < BLOCK; i++) input[last + i] ^= subkey[i];
    // One CBC pass (zero IV) over M1..Mn-1 || last; the MAC is the final ciphertext block.
    const out = this.#cbc.encrypt(ZERO_BLOCK, input);
    return out.slice(last);
  }

  /** Frees the AES context and wipes the subkeys; later calls throw. */
  dispose(): void {
    this.#cbc.dispose();
    this.#k1.fill(0);
    this.#k2.fill(0);
  }
}

export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const cmac = new AesCmac(key);
  try {
    return cmac.mac(message);
  } finally {
    cmac.dispose();
  }
}

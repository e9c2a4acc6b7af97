// AES-CMAC: RFC 4493 (AES-128) and NIST SP 800-38B (all AES key lengths).
import { createCipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { AesEcb } from './aes.js';

const BLOCK = 16;
const RB = 0x87;
const ZERO_IV = new Uint8Array(BLOCK);

// RFC 4493 2.3 Generate_Subkey: doubling in GF(2^128).
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK - 1; i++) out[i] = ((block[i] << 1) | (block[i + 1] >> 7)) & 0xff;
  out[BLOCK - 1] = (block[BLOCK - 1] << 1) & 0xff;
  if (block[0] & 0x80) out[BLOCK - 1] ^= RB;
  return out;
}

/** CMAC with precomputed subkeys K1, K2 for one key. */
export class AesCmac {
  readonly #aes: AesEcb;
  readonly #cbcKey: KeyObject;
  readonly #cbcAlgorithm: string;
  readonly #k1: Uint8Array;
  readonly #k2: Uint8Array;

  constructor(key: Uint8Array) {
    this.#aes = new AesEcb(key);
    this.#cbcKey = createSecretKey(key);
    this.#cbcAlgorithm = `aes-${key.length * 8}-cbc`;
    const l = this.#aes.encryptBlocks(new Uint8Array(BLOCK));
    this.#k1 = double(l);
    this.#k2 = double(this.#k1);
  }

  // RFC 4493 2.4 AES-CMAC: CBC-MAC over all blocks, the last one XORed with K1 (complete) or padded and XORed with K2.
  mac(message: Uint8Array): Uint8Array {
    const n = Math.max(1, Math.ceil(message.length / BLOCK));
    const complete = message.length > 0 && message.length % BLOCK === 0;
    const last = new Uint8Array(BLOCK);
    const tail = message.subarray((n - 1) * BLOCK);
    last.set(tail);
    if (!complete) last[tail.length] = 0x80;
    const subkey = complete ? this.#k1 : this.#k2;
    for (let i = 0; i < BLOCK; i++) last[i] ^= subkey[i];

    if (n === 1) return this.#aes.encryptBlocks(last);
    // Longer messages: one CBC pass (zero IV) over M1..Mn-1 || last; the MAC is the final ciphertext block.
    // A fresh CBC context costs about four ECB calls and does not grow with the message.
    const input = new Uint8Array(n * BLOCK);
    input.set(message.subarray(0, (n - 1) * BLOCK));
    input.set(last, (n - 1) * BLOCK);
    const cbc = createCipheriv(this.#cbcAlgorithm, this.#cbcKey, ZERO_IV);
    cbc.setAutoPadding(false);
    const out = cbc.update(input);
    return new Uint8Array(out.subarray(out.length - BLOCK));
  }
}

export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new AesCmac(key).mac(message);
}

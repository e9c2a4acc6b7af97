// AES (FIPS 197) in ECB and CBC modes (SP 800-38A) without padding, over node:crypto.
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { CryptoError } from './errors.js';

const BLOCK = 16;
const ZERO_BLOCK = new Uint8Array(BLOCK);

function algorithm(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (!(key instanceof Uint8Array) || (key.length !== 16 && key.length !== 24 && key.length !== 32)) {
    throw new CryptoError(`AES key must be 16, 24 or 32 bytes, got ${key?.length}`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

function checkData(data: Uint8Array, operation: string): void {
  if (!(data instanceof Uint8Array) || data.length % BLOCK !== 0) {
    throw new CryptoError(`${operation}: data length ${data?.length} is not a multiple of 16`);
  }
}

function checkIv(iv: Uint8Array, operation: string): void {
  if (!(iv instanceof Uint8Array) || iv.length !== BLOCK) {
    throw new CryptoError(`${operation}: IV must be 16 bytes, got ${iv?.length}`);
  }
}

function run(c: Cipher, data: Uint8Array): Uint8Array {
  c.setAutoPadding(false);
  const a = c.update(data);
  const b = c.final();
  if (b.length === 0) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkData(data, 'AES-ECB encrypt');
  return run(createCipheriv(algorithm(key, 'ecb'), key, null), data);
}

export function aesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkData(data, 'AES-ECB decrypt');
  return run(createDecipheriv(algorithm(key, 'ecb'), key, null), data);
}

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkData(data, 'AES-CBC encrypt');
  checkIv(iv, 'AES-CBC encrypt');
  return run(createCipheriv(algorithm(key, 'cbc'), key, iv), data);
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkData(data, 'AES-CBC decrypt');
  checkIv(iv, 'AES-CBC decrypt');
  return run(createDecipheriv(algorithm(key, 'cbc'), key, iv), data);
}

/**
 * AES-ECB keeping one cipher context per key for hot paths (CMAC, Milenage, ICVs).
 * ECB without padding is stateless between blocks, so one never-finalised context serves every call.
 */
export class AesEcb {
  readonly #cipher: Cipher;

  constructor(key: Uint8Array) {
    this.#cipher = createCipheriv(algorithm(key, 'ecb'), key, null);
    this.#cipher.setAutoPadding(false);
  }

  encryptBlocks(data: Uint8Array): Uint8Array {
    checkData(data, 'AES-ECB encrypt');
    const out = this.#cipher.update(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}

function xorBlockInto(target: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < BLOCK; i++) target[i] ^= a[i] ^ b[i];
}

/**
 * AES-CBC encryption (SP 800-38A 6.2) of many messages under one key with one never-finalised context.
 * The context chains from the last ciphertext block it produced; XORing that block and the wanted IV into the
 * first plaintext block makes the chaining start from the IV, so every call is plain CBC with its own IV.
 */
export class AesCbcEncryptor {
  #cipher: Cipher | undefined;
  /** The context's chaining value: the last ciphertext block, zero before the first call. */
  readonly #chain = new Uint8Array(BLOCK);

  constructor(key: Uint8Array) {
    this.#cipher = createCipheriv(algorithm(key, 'cbc'), key, ZERO_BLOCK);
    this.#cipher.setAutoPadding(false);
  }

  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkData(data, 'AES-CBC encrypt');
    checkIv(iv, 'AES-CBC encrypt');
    if (data.length === 0) return new Uint8Array(0);
    const input = Uint8Array.from(data);
    xorBlockInto(input, iv, this.#chain);
    const out = this.#context().update(input);
    input.fill(0);
    this.#chain.set(out.subarray(out.length - BLOCK));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Frees the context (and its key schedule); later calls throw. */
  dispose(): void {
    this.#cipher?.final();
    this.#cipher = undefined;
    this.#chain.fill(0);
  }

  #context(): Cipher {
    if (this.#cipher === undefined) throw new CryptoError('AES-CBC: the context has been disposed');
    return this.#cipher;
  }
}

/**
 * AES-CBC decryption (SP 800-38A 6.2) of many messages under one key with one never-finalised context.
 * The context XORs the first block with the last ciphertext block it was given; XORing that block and the
 * wanted IV into the first plaintext block afterwards makes every call plain CBC with its own IV.
 */
export class AesCbcDecryptor {
  #decipher: Decipher | undefined;
  /** The context's chaining value: the last ciphertext block it was given, zero before the first call. */
  readonly #chain = new Uint8Array(BLOCK);

  constructor(key: Uint8Array) {
    this.#decipher = createDecipheriv(algorithm(key, 'cbc'), key, ZERO_BLOCK);
    this.#decipher.setAutoPadding(false);
  }

  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkData(data, 'AES-CBC decrypt');
    checkIv(iv, 'AES-CBC decrypt');
    if (data.length === 0) return new Uint8Array(0);
    const out = this.#context().update(data);
    xorBlockInto(out, iv, this.#chain);
    this.#chain.set(data.subarray(data.length - BLOCK));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Frees the context (and its key schedule); later calls throw. */
  dispose(): void {
    this.#decipher?.final();
    this.#decipher = undefined;
    this.#chain.fill(0);
  }

  #context(): Decipher {
    if (this.#decipher === undefined) throw new CryptoError('AES-CBC: the context has been disposed');
    return this.#decipher;
  }
}

// AES (FIPS 197) in ECB and CBC modes (SP 800-38A) without padding, over node:crypto.
import { createCipheriv, createDecipheriv, type Cipher } from 'node:crypto';
import { CryptoError } from './errors.js';

const BLOCK = 16;

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

// The crypto floor: cost of the primitives every protocol step is built from. Other benches compare against it
// (e.g. an SCP11a handshake cannot be cheaper than keygen + 2 ECDH + KDF + CMAC).
import { type BenchResult, type BenchSuite, formatRate, measure } from './harness.js';
import {
  AesCmac,
  AesEcb,
  P256,
  SeededRandom,
  aesCmac,
  cryptoRandom,
  ecdh,
  ecdsaSign,
  ecdsaVerify,
  generateKeyPair,
  kdf3gpp,
  x963Kdf,
} from '../src/crypto/index.js';

/** Fixed inputs for the crypto floor, reusable by other benches. */
export function cryptoBenchFixtures() {
  const rng = new SeededRandom('bench crypto');
  const key16 = rng.randomBytes(16);
  const block = rng.randomBytes(16);
  const message64 = rng.randomBytes(64);
  const z = rng.randomBytes(64); // SCP11a: two P-256 x-coordinates
  const sharedInfo = Uint8Array.of(0x3c, 0x88, 0x10);
  const card = generateKeyPair(P256, rng);
  const oce = generateKeyPair(P256, rng);
  const signed = rng.randomBytes(200); // about a GP 7F21 certificate body
  const signature = ecdsaSign(P256, card.privateKey, signed);
  return { key16, block, message64, z, sharedInfo, card, oce, signed, signature };
}

/** Measures every crypto-floor operation for `seconds` each. */
export async function measureCryptoFloor(seconds = 0.5): Promise<BenchResult[]> {
  const f = cryptoBenchFixtures();
  const aes = new AesEcb(f.key16);
  const cmac = new AesCmac(f.key16);
  const kausfKey = f.z.subarray(0, 32);
  return [
    await measure('AES-128 block (AesEcb, key schedule kept)', () => aes.encryptBlocks(f.block), seconds),
    await measure('AES-CMAC 64 bytes (AesCmac, subkeys kept)', () => cmac.mac(f.message64), seconds),
    await measure(
      'AES-CMAC 64 bytes (aesCmac, new key each call)',
      () => aesCmac(f.key16, f.message64),
      seconds,
    ),
    await measure(
      'X9.63 KDF SHA-256, 64-byte Z -> 80 bytes (SCP11, AES-128)',
      () => x963Kdf('sha256', f.z, f.sharedInfo, 80),
      seconds,
    ),
    await measure(
      '3GPP KDF (HMAC-SHA-256), 2 parameters',
      () => kdf3gpp(kausfKey, 0x6a, f.block, f.block),
      seconds,
    ),
    await measure(
      'ECDH P-256 (cached private key, point validated)',
      () => ecdh(P256, f.oce.privateKey, f.card.publicKey),
      seconds,
    ),
    await measure(
      'ECDSA verify P-256, SHA-256, 200 bytes',
      () => ecdsaVerify(P256, f.card.publicKey, f.signed, f.signature),
      seconds,
    ),
    await measure(
      'ECDSA sign P-256, SHA-256, 200 bytes',
      () => ecdsaSign(P256, f.card.privateKey, f.signed),
      seconds,
    ),
    await measure('key generation P-256 (CSPRNG)', () => generateKeyPair(P256, cryptoRandom), seconds),
    await measure(
      'ephemeral key + ECDH P-256 (one SCP11 side, uncached)',
      () => ecdh(P256, generateKeyPair(P256, cryptoRandom).privateKey, f.card.publicKey),
      seconds,
    ),
  ];
}

export const suite: BenchSuite = {
  title: 'crypto floor (node:crypto / OpenSSL)',
  async run(print) {
    for (const r of await measureCryptoFloor()) print(formatRate(r));
  },
};

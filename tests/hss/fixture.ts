// A deterministic HSS for tests: seeded randomness, a fixed clock, a logger that keeps every line it is given.
import { fromHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { kasme, kausf, milenage, resStar, snId, tuak, verifyAutn } from '../../src/aka/index.js';
import { FixedClock, type Logger } from '../../src/ports/index.js';
import { Auc, Hss, KeyVault, type KeyMaterial } from '../../src/hss/index.js';
import type { SubscriberStore } from '../../src/hss/store/index.js';

export const KEK = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
export const SNN = '5G:mnc001.mcc001.3gppnetwork.org';

/** Fresh keys from a seed, so each test has its own; never the same K twice across seeds. */
export function milenageKeys(seed: string | number): KeyMaterial {
  const r = new SeededRandom(`keys-${seed}`);
  return { algorithm: 'milenage', k: r.randomBytes(16), opc: r.randomBytes(16) };
}

export function tuakKeys(seed: string | number, kLength = 32): KeyMaterial {
  const r = new SeededRandom(`tuak-${seed}`);
  return {
    algorithm: 'tuak',
    k: r.randomBytes(kLength),
    opc: r.randomBytes(32),
    tuak: { keccakIterations: 1, macLength: 8, resLength: 8, ckLength: 16, ikLength: 16 },
  };
}

export function imsiOf(n: number): string {
  return `00101${String(n).padStart(10, '0')}`;
}

export class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  #log = (level: string) => (obj: object | string, msg?: string) => {
    this.lines.push(
      JSON.stringify({ level, obj, msg }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    );
  };
  trace = this.#log('trace');
  debug = this.#log('debug');
  info = this.#log('info');
  warn = this.#log('warn');
  error = this.#log('error');
  child(): Logger {
    return this;
  }
}

export function makeHss(store: SubscriberStore, seed = 'hss') {
  const clock = new FixedClock(new Date('2026-01-01T00:00:00Z'));
  const rng = new SeededRandom(seed);
  const logger = new CapturingLogger();
  const vault = new KeyVault(KEK, rng);
  return {
    clock,
    rng,
    logger,
    vault,
    hss: new Hss({ store, vault, clock, logger }),
    auc: new Auc({ store, vault, rng, clock, logger }),
  };
}

export function functionsOf(km: KeyMaterial) {
  return km.algorithm === 'milenage' ? milenage(km.k, km.opc) : tuak(km.k, km.opc, km.tuak);
}

/** The USIM's side of 5G AKA (TS 33.501 6.1.3.2): MAC check, SQN, RES*, KAUSF as the ME derives them. */
export function usim5g(km: KeyMaterial, rand: Uint8Array, autn: Uint8Array, snn = SNN) {
  const c = verifyAutn(functionsOf(km), rand, autn);
  return {
    ...c,
    resStar: resStar(c.ck, c.ik, snn, rand, c.res),
    kausf: kausf(c.ck, c.ik, snn, autn.subarray(0, 6)),
  };
}

/** The USIM/ME side of EPS AKA: MAC check, SQN, RES, KASME. */
export function usimEps(km: KeyMaterial, rand: Uint8Array, autn: Uint8Array, mcc = '001', mnc = '01') {
  const c = verifyAutn(functionsOf(km), rand, autn);
  return { ...c, kasme: kasme(c.ck, c.ik, snId(mcc, mnc), autn.subarray(0, 6)) };
}

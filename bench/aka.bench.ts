// AKA throughput, single-threaded: Milenage and TUAK function sets and complete vectors (with AUTN) per second.
// Each measured call runs BATCH operations so the harness's per-call await does not dominate; RANDs come from a
// pre-drawn pool so the RNG is not measured.
import { randomBytes } from 'node:crypto';
import { generateVector, milenage, tuak, type AkaFunctions } from '../src/aka/index.js';
import { formatRate, measure, type BenchSuite } from './harness.js';

const BATCH = 64;
const SECONDS = 1.5;
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const rands = Array.from({ length: 1024 }, () => bytes(16));
const sqnBytes = bytes(6);
const amf = Uint8Array.of(0x80, 0x00);

function functionSets(fns: AkaFunctions): () => void {
  let i = 0;
  return () => {
    for (let n = 0; n < BATCH; n++) {
      const rand = rands[i++ & 1023];
      fns.f1(rand, sqnBytes, amf);
      fns.f1star(rand, sqnBytes, amf);
      fns.f2345(rand);
      fns.f5star(rand);
    }
  };
}

function vectors(fns: AkaFunctions): () => void {
  let i = 0;
  let sqn = 0x20n;
  return () => {
    for (let n = 0; n < BATCH; n++) generateVector(fns, rands[i++ & 1023], (sqn += 32n), amf);
  };
}

async function rate(print: (line: string) => void, name: string, fn: () => void): Promise<void> {
  const r = await measure(name, fn, SECONDS);
  print(formatRate({ ...r, opsPerSecond: r.opsPerSecond * BATCH, iterations: r.iterations * BATCH }));
}

export const suite: BenchSuite = {
  title: 'AKA (src/aka): Milenage and TUAK, single-threaded',
  async run(print) {
    const k = bytes(16);
    const opc = bytes(16);
    const m = milenage(k, opc);
    await rate(print, 'Milenage function sets (f1, f1*, f2-f5, f5*)', functionSets(m));
    await rate(print, 'Milenage vectors (RAND, XRES, CK, IK, AUTN)', vectors(m));
    let j = 0;
    await rate(print, 'Milenage vectors, new subscriber each (key setup included)', () => {
      for (let n = 0; n < BATCH; n++) generateVector(milenage(k, opc), rands[j++ & 1023], 0x20n, amf);
    });
    const t = tuak(bytes(16), bytes(32));
    await rate(print, 'TUAK function sets (defaults: 1 iteration, MAC/RES 64)', functionSets(t));
    await rate(print, 'TUAK vectors (defaults)', vectors(t));
    const t256 = tuak(bytes(32), bytes(32), { macLength: 32, resLength: 32, ckLength: 32, ikLength: 32 });
    await rate(print, 'TUAK vectors (K, MAC, RES, CK, IK 256 bits)', vectors(t256));
  },
};

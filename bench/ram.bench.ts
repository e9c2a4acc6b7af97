// Issue 11: the Provisioning Server's CPU per key update on the RAM path alone (4 POSTs over HTTP: fastify, the
// session, SCP11 OCE crypto, CERT.SD.ECKA validation, the job's writes on an in-memory SQLite store, logging),
// with an HSS that costs nothing and the cards in another process (bench/ram/). Reported as CPU microseconds
// of this process per key update, and as the ratio of the crypto floor of the server's share (one keygen, two
// ECDH, one certificate check; fleet/floor.ts) to it: the fraction of one core's crypto-bound rate it reaches.
// Then one profiled round split into sections (self time attributed to the innermost ltku or package frame).
// LTKU_BENCH_RAM_CARDS (default 400), LTKU_BENCH_RAM_ROUNDS (default 3, the best one counts),
// LTKU_BENCH_RAM_CONCURRENCY (default 16), LTKU_BENCH_RAM_PROF=FILE also writes the profiled round's .cpuprofile.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchSuite } from './harness.js';
import { measureCryptoFloor } from './fleet/floor.js';
import { ramWorld } from './ram/world.js';
import { sectionsOf, type CpuProfile } from './ram/sections.js';

const env = process.env;
const CARDS = Number(env.LTKU_BENCH_RAM_CARDS ?? 400);
const ROUNDS = Number(env.LTKU_BENCH_RAM_ROUNDS ?? 3);
const CONCURRENCY = env.LTKU_BENCH_RAM_CONCURRENCY ?? '16';
const PROFILE_FILE = env.LTKU_BENCH_RAM_PROF;
const CLIENT = fileURLToPath(new URL('./ram/client.js', import.meta.url));
const SECTIONS_SHOWN = 14;

interface RoundResult {
  readonly updates: number;
  readonly failures: string[];
  readonly seconds: number;
}

/** The client process: lines out, one JSON line back per round. */
function client(file: string, url: string) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLIENT, file, url, CONCURRENCY]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = async () => {
    const next = await lines.next();
    if (next.done) throw new Error(`bench client ended: ${stderr.slice(-2000)}`);
    return next.value;
  };
  return {
    ready: line,
    async round(): Promise<RoundResult> {
      child.stdin.write('go\n');
      return JSON.parse(await line()) as RoundResult;
    },
    stop() {
      child.stdin.end('quit\n');
    },
  };
}

/** CPU microseconds of this process (user + system). */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export const suite: BenchSuite = {
  title: `Provisioning Server: CPU per key update on the RAM path (${CARDS} distinct cards, each new to the server; free HSS, SQLite in memory)`,
  async run(print) {
    const floor = measureCryptoFloor();
    const floorMicros = 1e6 / floor.updatesPerSecond;
    print(
      `crypto floor (server share: keygen ${floor.microseconds.keygen.toFixed(0)} + 2 x ECDH ${floor.microseconds.ecdh.toFixed(0)} + verify ${floor.microseconds.verify.toFixed(0)} µs)`.padEnd(
        72,
      ) + `${floorMicros.toFixed(0).padStart(8)} µs`,
    );
    const world = await ramWorld(CARDS);
    const ue = client(world.imagesFile, world.server.ramUrl);
    try {
      if ((await ue.ready()) !== 'ready') throw new Error('bench client did not start');
      const measured: number[] = [];
      const round = async (profile?: Session) => {
        await world.createJobs();
        const before = cpuMicros();
        await profile?.post('Profiler.start');
        const r = await ue.round();
        const stopped = await profile?.post('Profiler.stop');
        const micros = cpuMicros() - before;
        if (r.updates !== CARDS) {
          throw new Error(`bench: ${r.updates} of ${CARDS} key updates completed: ${r.failures.join('; ')}`);
        }
        return { micros: micros / r.updates, seconds: r.seconds, profile: stopped?.profile as CpuProfile };
      };
      for (let i = 0; i < ROUNDS; i++) {
        const r = await round();
        measured.push(r.micros);
        print(
          `round ${i + 1}: server CPU per key update (${(CARDS / r.seconds).toFixed(0)} updates/s)`.padEnd(
            72,
          ) + `${r.micros.toFixed(0).padStart(8)} µs`,
        );
      }
      const best = Math.min(...measured);
      print(`  crypto floor / server CPU per key update = ${(floorMicros / best).toFixed(3)} (best round)`);

      const session = new Session();
      session.connect();
      try {
        await session.post('Profiler.enable');
        const { profile, micros } = await round(session);
        if (PROFILE_FILE !== undefined) writeFileSync(PROFILE_FILE, JSON.stringify(profile));
        print(`profiled round (${micros.toFixed(0)} µs per key update), by section:`);
        for (const s of sectionsOf(profile).slice(0, SECTIONS_SHOWN)) {
          print(
            `  ${s.name.padEnd(40)} ${(s.share * 100).toFixed(1).padStart(5)} %  ${(s.share * micros).toFixed(0).padStart(6)} µs`,
          );
        }
      } finally {
        session.disconnect();
      }
    } finally {
      ue.stop();
      await world.close();
    }
  },
};

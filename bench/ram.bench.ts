// Issue 11: the Provisioning Server's CPU per key update on the RAM path alone (4 POSTs over HTTP: fastify, the
// session, SCP11 OCE crypto, CERT.SD.ECKA validation, the job's writes on an in-memory SQLite store, logging),
// with an HSS that costs nothing and the cards in another process (bench/ram/). Reported as CPU microseconds
// of this process per key update, and as the ratio of the crypto floor of the server's share (one keygen, two
// ECDH, one certificate check; fleet/floor.ts) to it: the fraction of one core's crypto-bound rate it reaches.
// Next to it the HTTP floor (ram/http-floor.ts): the CPU of this process per session when a bare node:http
// server answers the same 4 POSTs (sizes and headers recorded from a real session of the round before) for the
// same client process at the same concurrency; and the ratio of crypto + HTTP floor to the server's CPU.
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
import { listenHttpFloor, type HttpFloorServer } from './ram/http-floor.js';
import type { Transcript } from './ram/transcript.js';
import { ramWorld } from './ram/world.js';
import { sectionsOf, type CpuProfile } from './ram/sections.js';

const env = process.env;
const CARDS = Number(env.LTKU_BENCH_RAM_CARDS ?? 400);
const ROUNDS = Number(env.LTKU_BENCH_RAM_ROUNDS ?? 3);
const CONCURRENCY = env.LTKU_BENCH_RAM_CONCURRENCY ?? '16';
const PROFILE_FILE = env.LTKU_BENCH_RAM_PROF;
const CLIENT = fileURLToPath(new URL('./ram/client.js', import.meta.url));
const SECTIONS_SHOWN = 14;
const LABEL_WIDTH = 72;

interface RoundResult {
  readonly updates: number;
  readonly failures: string[];
  readonly seconds: number;
  /** Of a key-update round: the first round's first session (ram/transcript.ts). */
  readonly transcript?: Transcript;
}

/** One line of the report: a label and a number of microseconds. */
const microsLine = (label: string, us: number) =>
  `${label.padEnd(LABEL_WIDTH)}${us.toFixed(0).padStart(8)} µs`;

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
  const ask = async (command: string) => {
    child.stdin.write(`${command}\n`);
    return JSON.parse(await line()) as RoundResult;
  };
  return {
    ready: line,
    round: () => ask('go'),
    /** The last round's first session replayed against the HTTP floor's server, once per card. */
    floor: (origin: string) => ask(`floor ${origin}`),
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
    const f = floor.microseconds;
    print(
      microsLine(
        `crypto floor (server share: keygen ${f.keygen.toFixed(0)} + 2 x ECDH ${f.ecdh.toFixed(0)} + verify ${f.verify.toFixed(0)} µs)`,
        floorMicros,
      ),
    );
    const world = await ramWorld(CARDS);
    const ue = client(world.imagesFile, world.server.ramUrl);
    let httpFloor: HttpFloorServer | undefined;
    try {
      if ((await ue.ready()) !== 'ready') throw new Error('bench client did not start');
      /** CPU microseconds of this process per session of `run`, which must complete one per card. */
      const perSession = async (what: string, run: () => Promise<RoundResult>, profile?: Session) => {
        const before = cpuMicros();
        await profile?.post('Profiler.start');
        const r = await run();
        const stopped = await profile?.post('Profiler.stop');
        const used = cpuMicros() - before;
        if (r.updates !== CARDS) {
          throw new Error(`bench: ${r.updates} of ${CARDS} ${what} completed: ${r.failures.join('; ')}`);
        }
        return { ...r, micros: used / r.updates, profile: stopped?.profile as CpuProfile };
      };
      const round = async (profile?: Session) => {
        await world.createJobs();
        return perSession('key updates', ue.round, profile);
      };
      const measured: number[] = [];
      const measuredHttp: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const r = await round();
        measured.push(r.micros);
        print(
          microsLine(
            `round ${i + 1}: server CPU per key update (${(CARDS / r.seconds).toFixed(0)} updates/s)`,
            r.micros,
          ),
        );
        if (httpFloor === undefined) {
          const transcript = r.transcript!;
          print(
            `  one session: ${transcript.length} POSTs, request bodies ${transcript.map((e) => e.requestBytes).join(' / ')} B, answers ${transcript.map((e) => `${e.status} ${e.responseBytes}`).join(' / ')} B`,
          );
          httpFloor = await listenHttpFloor(transcript);
        }
        const origin = httpFloor.origin;
        const h = await perSession('HTTP floor sessions', () => ue.floor(origin));
        measuredHttp.push(h.micros);
        print(
          microsLine(
            `round ${i + 1}: HTTP floor, bare node:http (${(CARDS / h.seconds).toFixed(0)} sessions/s)`,
            h.micros,
          ),
        );
      }
      const best = Math.min(...measured);
      const httpFloorMicros = Math.min(...measuredHttp);
      print(microsLine('crypto floor', floorMicros));
      print(microsLine('HTTP floor (best round)', httpFloorMicros));
      print(microsLine('crypto + HTTP floor', floorMicros + httpFloorMicros));
      print(microsLine('server CPU per key update (best round)', best));
      print(`  crypto floor / server CPU per key update = ${(floorMicros / best).toFixed(3)} (best round)`);
      print(
        `  (crypto + HTTP floor) / server CPU per key update = ${((floorMicros + httpFloorMicros) / best).toFixed(3)} (best rounds)`,
      );

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
      await httpFloor?.close();
      await world.close();
    }
  },
};

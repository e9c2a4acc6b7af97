// `ltku fleet` (issue 11) against a real HSS, core and Provisioning Server on loopback: a small fleet with 10%
// faults of each kind (connection dropped after a POST, BF71 lost, card power lost while writing its keys) ends
// with every profile rotated exactly once, the HSS holding the card's keys, and each attach with them succeeding.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseInventoryText } from '../../src/server/index.js';
import { runCli } from '../helpers/cli.js';
import { cliArgs, type CliOptions } from '../helpers/cli-args.js';
import { fleetRunArgs, fleetWorld, type FleetWorld } from './support/world.js';

const CARDS = 40;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ltku-fleet-'));
  dirs.push(d);
  return d;
}

/** A run under faults that attaches through the core (the check after it): `options` name the faults. */
function faultyRunArgs(world: FleetWorld, options: CliOptions): string[] {
  return fleetRunArgs(world, { core: world.services.coreUrl, ...options, 'poll-ms': 100, timeout: 40 });
}

describe('ltku fleet', () => {
  let world: FleetWorld;

  it('creates N cards in one file and one bulk personalisation file the HSS and the server read', async () => {
    world = await fleetWorld(tempDir(), CARDS);
    assert.equal(statSync(world.fleet).mode & 0o777, 0o600);
    assert.equal(statSync(world.inventory).mode & 0o777, 0o600);
    const entries = parseInventoryText(readFileSync(world.inventory, 'utf8'));
    assert.equal(entries.length, CARDS);
    assert.equal(new Set(entries.map((e) => e.imsi)).size, CARDS, 'IMSIs are unique');
    assert.equal(new Set(entries.map((e) => e.eid)).size, CARDS, 'one card per line');
    assert.equal(world.server.inventory.size, CARDS);
    assert.ok(
      entries.every((e) => e.batch === 'LOT-7'),
      'every card carries the manufacturing batch',
    );
  });

  it('rotates every card exactly once under 10% faults of each kind; card keys = HSS keys; attach succeeds', async () => {
    const r = await runCli(
      faultyRunArgs(world, { concurrency: 8, 'fault-rate': '10%', seed: 'fleet-test-1' }),
    );
    const report = JSON.parse(r.stdout);
    assert.equal(
      r.code,
      0,
      `${r.stderr}\n${JSON.stringify(report.failed)}\n${JSON.stringify(report.verified)}`,
    );
    assert.equal(report.rotated, CARDS);
    assert.equal(report.verified.ok, true, JSON.stringify(report.verified.problems));
    assert.equal(report.verified.profiles, CARDS);
    assert.equal(report.verified.keysCompared, true, 'the HSS compared the keys');
    for (const kind of ['drop-after-post', 'lose-bf71', 'card-crash'])
      assert.ok(
        report.faults[kind] >= 1,
        `the seed strikes some card with ${kind}: ${JSON.stringify(report.faults)}`,
      );
    assert.ok(
      report.powerLosses >= report.faults['card-crash'],
      'each card-crash fault cost the card its power',
    );
    assert.ok(report.resumes >= 1, 'dropped connections were resumed');
    assert.ok(report.attachLatencyMs.p50 > 0);
    assert.ok(report.updatesPerSecond > 0);
    assert.ok(!r.stdout.match(/"k"|"opc"/), 'no key material in the report');
  });

  it('a second run finds nothing left to do and the check fails: no profile may rotate twice', async () => {
    const r = await runCli(fleetRunArgs(world, { 'no-order': true, timeout: 1, 'poll-ms': 50 }));
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.rotated, 0, 'no card rotates without a job');
    assert.equal(report.verified.ok, false);
    await world.close();
  });
});

describe('ltku fleet --push', () => {
  it('UEs attach, the server pushes each new job through the core, each UE runs its session on the push', async () => {
    const world = await fleetWorld(tempDir(), 20);
    try {
      const r = await runCli(
        faultyRunArgs(world, { push: true, concurrency: 20, 'fault-rate': '5%', seed: 'fleet-push-1' }),
      );
      const report = JSON.parse(r.stdout);
      assert.equal(
        r.code,
        0,
        `${r.stderr}\n${JSON.stringify(report.failed)}\n${JSON.stringify(report.verified)}`,
      );
      assert.equal(report.pushed, 20, 'every UE started on the push, none fell back to polling');
      assert.equal(report.verified.ok, true);
      assert.equal(report.verified.profiles, 20);
    } finally {
      await world.close();
    }
  });
});

describe('ltku fleet with an instance down', () => {
  it('a card whose first server is unreachable starts its next session at the other one (DESIGN 8)', async () => {
    const world = await fleetWorld(tempDir(), 6);
    // A loopback port that was just free: nothing listens there (connection refused).
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const { port } = dead.address() as AddressInfo;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    try {
      const r = await runCli(
        fleetRunArgs(world, {
          server: [`http://127.0.0.1:${port}/ram`, world.server.ramUrl],
          faults: 'none',
          'poll-ms': 50,
          timeout: 30,
        }),
      );
      const report = JSON.parse(r.stdout);
      assert.equal(r.code, 0, `${r.stderr}\n${JSON.stringify(report.failed)}`);
      assert.equal(report.rotated, 6, 'the cards of the dead server rotated at the live one');
      assert.equal(report.verified.ok, true, JSON.stringify(report.verified.problems));
      // Cards 0, 2, 4 started at the dead server: one failed session each before the live one.
      assert.ok(report.sessions >= 6 + 3, `sessions ${report.sessions}`);
    } finally {
      await world.close();
    }
  });
});

describe('ltku fleet: bad input', () => {
  const create = (options: CliOptions) =>
    cliArgs(['fleet', 'create'], { cards: 2, pki: 'x', out: 'y', 'inventory-out': 'z', ...options });
  const run = (options: CliOptions) =>
    cliArgs(['fleet', 'run'], { fleet: 'f', server: 'http://127.0.0.1:1', 'no-order': true, ...options });
  const cases: [string[], RegExp][] = [
    [create({ cards: 0 }), /--cards: 0 is outside/],
    [create({ cards: 'ten' }), /--cards: not a whole number/],
    [create({ 'inventory-out': undefined }), /missing option --inventory-out/],
    [create({ 'imsi-prefix': '0010' }), /--imsi-prefix: MCC and MNC/],
    [create({ batch: 'a b' }), /--batch: 1 to 64/],
    [run({ fleet: 'nope.sqlite' }), /--fleet: nope.sqlite does not exist/],
    [run({ server: 'ftp://x' }), /--server/],
    [run({ 'no-order': false }), /--admin is needed/],
    [run({ 'fault-rate': '1.5' }), /--fault-rate: 1.5 is above 1/],
    [run({ 'fault-rate': 'lots' }), /--fault-rate: "lots" is not a number/],
    [run({ faults: 'meteor' }), /--faults: "meteor" is not one of/],
    [run({ 'drop-after-post': 7 }), /drop-after-post 7 is not a POST/],
    [run({ concurrency: 0 }), /--concurrency: 0 is outside/],
    [run({ push: true }), /--push needs --core/],
    [run({ server: undefined }), /missing option --server/],
  ];
  for (const [args, message] of cases) {
    it(`${args.slice(2).join(' ')}`, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('a file that is not a fleet is named', async () => {
    const dir = tempDir();
    const path = join(dir, 'not-a-fleet.sqlite');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'hello');
    const r = await runCli(run({ fleet: path }));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a fleet file/);
  });
});

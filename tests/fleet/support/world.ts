// A fleet's world for the tests: PKI and fleet made with the CLI (`ltku pki`, `ltku fleet create`, `ltku hss
// import` of the bulk file), then the HSS and core (the demo's loopback services) and the Provisioning Server in
// this process, each on its own loopback port, talking HTTP as separate processes would.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ROLE_OPERATOR, ROLE_PROVISIONER } from '../../../src/auth/index.js';
import { cryptoRandom } from '../../../src/crypto/index.js';
import { HssClient } from '../../../src/hss/client/index.js';
import {
  DEFAULT_POLICY,
  listenServer,
  openJobStore,
  parseInventoryText,
  type RunningServer,
} from '../../../src/server/index.js';
import {
  demoCredentials,
  startHssAndCore,
  type Services,
} from '../../../src/cli/commands/demo/support/services.js';
import { loadServerPki } from '../../../src/cli/commands/server/support/server-pki.js';
import { runCli } from '../../helpers/cli.js';
import { cliArgs, fleetCreateArgs, oceIssueArgs, type CliOptions } from '../../helpers/cli-args.js';

export interface FleetWorld {
  readonly dir: string;
  readonly fleet: string;
  readonly inventory: string;
  readonly tokenFile: string;
  readonly services: Services;
  readonly server: RunningServer;
  close(): Promise<void>;
}

export async function cli(args: string[]): Promise<string> {
  const r = await runCli(args);
  assert.equal(r.code, 0, `ltku ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `ltku fleet run` on the world (its fleet, server, HSS and operator token) and `options`, reporting JSON. */
export function fleetRunArgs(world: FleetWorld, options: CliOptions): string[] {
  // push and core are in their places, unset, for the runs that set them.
  return cliArgs(['fleet', 'run'], {
    push: undefined,
    fleet: world.fleet,
    server: world.server.ramUrl,
    admin: world.server.adminUrl,
    core: undefined,
    'hss-db': join(world.dir, 'hss.sqlite'),
    'hss-data-dir': world.dir,
    'token-file': world.tokenFile,
    ...options,
    json: true,
  });
}

export async function fleetWorld(dir: string, cards: number): Promise<FleetWorld> {
  const pki = join(dir, 'pki');
  const fleet = join(dir, 'fleet.sqlite');
  const inventory = join(dir, 'fleet.jsonl');
  await cli(['pki', 'init', '--dir', pki]);
  await cli(oceIssueArgs(pki));
  await cli(fleetCreateArgs(pki, cards, fleet, inventory, { batch: 'LOT-7' }));
  await cli(['hss', 'import', inventory, '--data-dir', dir]);
  const credentials = demoCredentials();
  const services = await startHssAndCore(dir, undefined, credentials);
  const store = await openJobStore(join(dir, 'server.sqlite'));
  const server = await listenServer({
    store,
    hss: new HssClient(services.hssUrl, { token: credentials.tokenOf(ROLE_PROVISIONER) }),
    authenticator: credentials.authenticator,
    kek: cryptoRandom.randomBytes(32),
    inventory: parseInventoryText(readFileSync(inventory, 'utf8'), inventory),
    reconcileIntervalMs: 0,
    coreUrl: services.coreUrl,
    coreToken: credentials.tokenOf(ROLE_PROVISIONER),
    session: {
      ...loadServerPki(pki),
      policy: DEFAULT_POLICY,
      clock: { now: () => new Date() },
      rng: cryptoRandom,
    },
  });
  const tokenFile = join(dir, 'operator.token');
  writeFileSync(tokenFile, credentials.tokenOf(ROLE_OPERATOR) + '\n', { mode: 0o600 });
  return {
    dir,
    fleet,
    inventory,
    tokenFile,
    services,
    server,
    async close() {
      await server.close();
      await store.close();
      await services.stopAll();
    },
  };
}

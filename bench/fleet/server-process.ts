// A Provisioning Server instance as its own process for the fleet bench: what `ltku server serve` composes
// (listenServer, the job store on the given database, the HSS over HTTP with the provisioner's token, the PKI),
// with the fleet's bulk inventory (server/inventory-bulk.ts; `ltku server serve --inventory` reads it once the
// one-line hook in serve.ts is in). Usage: node server-process.js JSON-SETTINGS; prints "RAM <url> admin <url>".
import { readFileSync } from 'node:fs';
import { ROLE_PROVISIONER } from '../../src/auth/index.js';
import { cryptoRandom } from '../../src/crypto/index.js';
import { HssClient } from '../../src/hss/client/index.js';
import { silentLogger } from '../../src/ports/index.js';
import { DEFAULT_POLICY, listenServer, openJobStore, parseInventoryText } from '../../src/server/index.js';
import { openServiceAuthenticator, readTokenFile, tokenFileOf } from '../../src/cli/credentials.js';
import { loadServerPki } from '../../src/cli/commands/server/support/server-pki.js';

interface Settings {
  readonly pki: string;
  readonly db: string;
  readonly dataDir: string;
  readonly hssUrl: string;
  readonly inventory: string;
  readonly kekHex: string;
}

const s = JSON.parse(process.argv[2]) as Settings;
const values = { 'data-dir': s.dataDir };
const store = await openJobStore(s.db);
const running = await listenServer({
  store,
  hss: new HssClient(s.hssUrl, { token: readTokenFile(tokenFileOf(values, ROLE_PROVISIONER)) }),
  authenticator: openServiceAuthenticator(values, process.stderr, silentLogger),
  kek: Buffer.from(s.kekHex, 'hex'),
  inventory: parseInventoryText(readFileSync(s.inventory, 'utf8'), s.inventory),
  logger: silentLogger,
  session: {
    ...loadServerPki(s.pki),
    policy: DEFAULT_POLICY,
    clock: { now: () => new Date() },
    rng: cryptoRandom,
  },
});
process.stdout.write(`RAM ${running.ramUrl} admin ${running.adminUrl}\n`);
const stop = async () => {
  await running.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

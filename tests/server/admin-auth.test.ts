// DESIGN.md 7 at the Provisioning Server: the RAM endpoint and the admin API on separate listeners; every admin
// route for role operator (401 without credentials, 403 for other roles); new keys only from the CSPRNG (k/opc
// on POST /admin/v1/jobs are a 400, the card never gets caller-chosen keys); the explicit import is audited
// with the principal, never a header; a revoked token stops working; a 5xx body says nothing internal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { subscribersFile } from '../../src/card/index.js';
import { HssClient } from '../../src/hss/client/index.js';
import { listenHss, openHssRuntime, parsePersonalisationFile, type HssRuntime } from '../../src/hss/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { trustAnchor } from '../../src/pki/index.js';
import {
  DEFAULT_POLICY,
  SqliteJobStore,
  listenServer,
  parseInventoryFile,
  type RunningServer,
} from '../../src/server/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { NOW, setup, type Setup } from '../card/support/fixture.js';
import { testAuth, type TestAuth } from '../helpers/auth.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-admin-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Deployment {
  s: Setup;
  auth: TestAuth;
  runtime: HssRuntime;
  hssUrl: string;
  server: RunningServer;
  logs: string[];
  close(): Promise<void>;
}

async function deploy(seed: string, hssToken?: (auth: TestAuth) => string): Promise<Deployment> {
  const auth = testAuth(`admin-${seed}`, [
    { name: 'alice', role: 'operator' },
    { name: 'mallory', role: 'operator' },
  ]);
  const { logger, logs } = captureLogger();
  const s = setup(seed);
  const runtime = await openHssRuntime({ dataDir: join(dir, seed), kekHex: '22'.repeat(32) });
  const file = JSON.stringify(subscribersFile(s.image));
  for (const sub of parsePersonalisationFile(file).subscribers) await runtime.hss.create(sub, 'test');
  const hss = await listenHss({
    hss: runtime.hss,
    auc: runtime.auc,
    logger: runtime.logger,
    authenticator: auth.authenticator,
  });
  const store = new SqliteJobStore(':memory:');
  const server = await listenServer({
    store,
    hss: new HssClient(hss.url, { token: (hssToken ?? ((a) => a.token('provisioner')))(auth) }),
    kek: new Uint8Array(32).fill(9),
    authenticator: auth.authenticator,
    inventory: parseInventoryFile(file),
    logger,
    session: {
      oce: [{ keyPair: s.pki.oce, certificates: [s.pki.oceCertificate] }],
      cardIssuers: [trustAnchor(s.pki.klcc.curve, s.pki.klcc.publicKey)],
      policy: DEFAULT_POLICY,
      clock: new FixedClock(NOW),
      rng: new SeededRandom(`server-${seed}`),
    },
  });
  return {
    s,
    auth,
    runtime,
    hssUrl: hss.url,
    server,
    logs,
    async close() {
      await server.close();
      await store.close();
      await hss.close();
      await runtime.close();
    },
  };
}

describe('Provisioning Server admin API: listeners and roles', () => {
  let d: Deployment;
  before(async () => {
    d = await deploy('roles');
  });
  after(() => d.close());

  const admin = (
    method: string,
    path: string,
    as: string | null,
    body?: unknown,
    extra: Record<string, string> = {},
  ) =>
    fetch(`${d.server.adminUrl}${path}`, {
      method,
      headers: {
        ...(as === null ? {} : d.auth.bearer(as)),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extra,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('every admin route: 401 (WWW-Authenticate: Bearer) without credentials, 403 as provisioner or core', async () => {
    const p = d.s.image.profiles[0];
    const routes: [string, string, unknown][] = [
      ['POST', '/admin/v1/jobs', { iccid: p.iccid }],
      ['POST', '/admin/v1/jobs/import', { iccid: p.iccid, k: '01'.repeat(16), opc: '02'.repeat(16) }],
      ['POST', '/admin/v1/jobs/batch', { iccids: [p.iccid] }],
      ['GET', '/admin/v1/jobs', undefined],
      ['GET', '/admin/v1/jobs/0011223344556677', undefined],
      ['POST', '/admin/v1/jobs/0011223344556677/cancel', undefined],
      ['GET', `/admin/v1/cards/${d.s.image.eid}/jobs`, undefined],
      ['GET', '/admin/v1/status', undefined],
    ];
    for (const [method, path, body] of routes) {
      const none = await admin(method, path, null, body);
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="ltku"');
      const problem = (await none.json()) as { status: number; title: string };
      assert.deepEqual([problem.status, problem.title], [401, 'Unauthorized']);
      const garbage = await admin(method, path, null, body, {
        authorization: 'Bearer ltku1.operator.' + '0'.repeat(64),
      });
      assert.equal(garbage.status, 401);
      assert.match(garbage.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      await garbage.arrayBuffer();
      for (const role of ['provisioner', 'core']) {
        const wrong = await admin(method, path, role, body);
        assert.equal(wrong.status, 403, `${method} ${path} as ${role}`);
        await wrong.arrayBuffer();
      }
    }
    assert.equal(
      ((await (await admin('GET', '/admin/v1/jobs', 'operator')).json()) as { jobs: [] }).jobs.length,
      0,
      'nothing was created',
    );
  });

  it('/admin/v1/cards/{eid}/jobs tells nothing (no IMSI) without operator credentials', async () => {
    const p = d.s.image.profiles[1];
    assert.equal((await admin('POST', '/admin/v1/jobs', 'alice', { iccid: p.iccid })).status, 201);
    for (const as of [null, 'provisioner', 'core']) {
      const r = await admin('GET', `/admin/v1/cards/${d.s.image.eid}/jobs`, as);
      assert.ok(r.status === 401 || r.status === 403);
      const text = await r.text();
      assert.equal(text.includes(p.imsi) || text.includes(p.iccid), false);
    }
    const ok = await admin('GET', `/admin/v1/cards/${d.s.image.eid}/jobs`, 'operator');
    assert.equal(((await ok.json()) as { jobs: { imsi: string }[] }).jobs[0].imsi, p.imsi);
    const [job] = (
      (await (await admin('GET', '/admin/v1/jobs', 'operator')).json()) as { jobs: { id: string }[] }
    ).jobs;
    const cancelled = await admin('POST', `/admin/v1/jobs/${job.id}/cancel`, 'alice', undefined, {
      'x-ltku-actor': 'mallory',
    });
    assert.equal(cancelled.status, 200);
    const history = ((await cancelled.json()) as { history: { detail?: string }[] }).history;
    assert.ok(
      history.some((h) => h.detail?.includes('alice')),
      JSON.stringify(history),
    );
    assert.equal(JSON.stringify(history).includes('mallory'), false, 'the actor header is ignored');
  });

  it('the admin API is not on the RAM listener, the RAM endpoint not on the admin listener', async () => {
    const ramBase = new URL(d.server.ramUrl).origin;
    assert.notEqual(ramBase, d.server.adminUrl);
    for (const [method, path] of [
      ['GET', '/admin/v1/jobs'],
      ['POST', '/admin/v1/jobs'],
      ['GET', `/admin/v1/cards/${d.s.image.eid}/jobs`],
      ['GET', '/admin/v1/status'],
      ['GET', '/openapi.json'],
    ]) {
      const r = await fetch(`${ramBase}${path}`, {
        method,
        headers: { ...d.auth.bearer('operator'), 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ iccid: d.s.image.profiles[0].iccid }) } : {}),
      });
      assert.equal(r.status, 404, `${method} ${path} on the RAM listener`);
      await r.arrayBuffer();
    }
    const ram = await fetch(`${d.server.adminUrl}/ram/v1`, {
      method: 'POST',
      headers: {
        ...d.auth.bearer('operator'),
        'x-admin-protocol': 'globalplatform-remote-admin/1.0',
        'x-admin-from': `//se-id/eid/${d.s.image.eid}`,
      },
    });
    assert.equal(ram.status, 404, 'the RAM endpoint is not on the admin listener');
    await ram.arrayBuffer();
    const status = (await (await admin('GET', '/admin/v1/status', 'operator')).json()) as { ramUrl: string };
    assert.equal(status.ramUrl, d.server.ramUrl);
  });

  it('a revoked token stops working at once; the other principals keep working', async () => {
    assert.equal((await admin('GET', '/admin/v1/jobs', 'mallory')).status, 200);
    d.auth.revoke('mallory');
    const r = await admin('GET', '/admin/v1/jobs', 'mallory');
    assert.equal(r.status, 401);
    assert.equal((await admin('GET', '/admin/v1/jobs', 'alice')).status, 200);
  });
});

describe('Provisioning Server admin API: keys only from the CSPRNG', () => {
  let d: Deployment;
  before(async () => {
    d = await deploy('keys');
  });
  after(() => d.close());
  const asOperator = (path: string, body: unknown, name = 'operator', extra: Record<string, string> = {}) =>
    fetch(`${d.server.adminUrl}${path}`, {
      method: 'POST',
      headers: { ...d.auth.bearer(name), 'content-type': 'application/json', ...extra },
      body: JSON.stringify(body),
    });

  it('POST /admin/v1/jobs with k/opc is a 400 and the card never gets the caller-chosen keys', async () => {
    const p = d.s.image.profiles[0];
    const chosen = { k: '0123456789abcdef0123456789abcdef', opc: 'fedcba9876543210fedcba9876543210' };
    for (const body of [
      { iccid: p.iccid, ...chosen },
      { iccid: p.iccid, k: chosen.k },
      { imsi: p.imsi, topc: chosen.opc.repeat(2) },
    ]) {
      const r = await asOperator('/admin/v1/jobs', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      const text = await r.text();
      assert.match(text, /unknown field/);
      assert.equal(text.includes(chosen.k) || text.includes(chosen.opc), false, 'the keys are not echoed');
    }
    const listed = (await (
      await fetch(`${d.server.adminUrl}/admin/v1/jobs`, { headers: d.auth.bearer('operator') })
    ).json()) as {
      jobs: unknown[];
    };
    assert.equal(listed.jobs.length, 0, 'no job was created');
    // A plain job gets CSPRNG keys: after the session the card holds keys that are not the chosen ones.
    const created = await asOperator('/admin/v1/jobs', { iccid: p.iccid }, 'alice', {
      'x-ltku-actor': 'mallory',
    });
    assert.equal(created.status, 201);
    const job = (await created.json()) as { createdBy: string; history: { detail?: string }[] };
    assert.equal(job.createdBy, 'alice', 'the actor is the principal, not the header');
    await runRamSession({ url: d.server.ramUrl, eid: d.s.image.eid, channel: d.s.channel });
    const keys = d.s.card.image.profiles.find((q) => q.iccid === p.iccid)!.keys;
    assert.equal(d.s.card.image.profiles.find((q) => q.iccid === p.iccid)!.keyVersion, 2);
    assert.notEqual(toHex(keys.k), chosen.k);
    assert.notEqual(toHex(keys.opc), chosen.opc);
    assert.notEqual(toHex(keys.k), toHex(p.keys.k), 'new keys');
  });

  it('POST /admin/v1/jobs/import is the explicit, audited path: operator only, actor recorded', async () => {
    const p = d.s.image.profiles[1];
    const vendor = { k: '00112233445566778899aabbccddeeff', opc: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' };
    const asProvisioner = await fetch(`${d.server.adminUrl}/admin/v1/jobs/import`, {
      method: 'POST',
      headers: { ...d.auth.bearer('provisioner'), 'content-type': 'application/json' },
      body: JSON.stringify({ iccid: p.iccid, ...vendor }),
    });
    assert.equal(asProvisioner.status, 403);
    for (const bad of [
      { iccid: p.iccid, k: vendor.k },
      { iccid: p.iccid, ...vendor, topc: vendor.opc },
      { ...vendor },
    ])
      assert.equal((await asOperator('/admin/v1/jobs/import', bad)).status, 400, JSON.stringify(bad));
    const r = await asOperator('/admin/v1/jobs/import', { iccid: p.iccid, ...vendor }, 'alice', {
      'x-ltku-actor': 'mallory',
    });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    assert.equal(text.includes(vendor.k) || text.includes(vendor.opc), false);
    const job = JSON.parse(text) as { createdBy: string; history: { detail?: string }[] };
    assert.equal(job.createdBy, 'alice');
    assert.ok(
      job.history.some((h) => /import/.test(h.detail ?? '') && h.detail?.includes('alice')),
      JSON.stringify(job.history),
    );
    assert.ok(
      d.logs.some((l) => l.includes('keys-imported') && l.includes('alice')),
      'logged with the actor',
    );
    await runRamSession({ url: d.server.ramUrl, eid: d.s.image.eid, channel: d.s.channel });
    const keys = d.s.card.image.profiles.find((q) => q.iccid === p.iccid)!.keys;
    assert.deepEqual(
      [toHex(keys.k), toHex(keys.opc)],
      [vendor.k, vendor.opc],
      'the imported keys reached the card',
    );
    const logs = d.logs.join('\n');
    for (const secret of [
      vendor.k,
      vendor.opc,
      d.auth.token('alice').split('.')[2],
      d.auth.token('operator').split('.')[2],
    ])
      assert.equal(logs.includes(secret), false, 'no key or token in the logs');
  });
});

describe('Provisioning Server admin API: 5xx bodies', () => {
  it('says "internal error" and nothing else (the detail goes to the log)', async () => {
    // The server holds a token the HSS does not accept: every HSS call fails, naming the IMSI in its message.
    const d = await deploy('5xx', (a) => a.token('operator').replace(/.{4}$/, '0000'));
    try {
      const p = d.s.image.profiles[0];
      const r = await fetch(`${d.server.adminUrl}/admin/v1/jobs`, {
        method: 'POST',
        headers: { ...d.auth.bearer('operator'), 'content-type': 'application/json' },
        body: JSON.stringify({ imsi: p.imsi }),
      });
      assert.ok(r.status >= 500, String(r.status));
      const body = (await r.json()) as { detail: string };
      assert.equal(body.detail, 'internal error');
      assert.equal(JSON.stringify(body).includes(p.imsi), false);
      assert.ok(
        d.logs.some((l) => l.includes('server-error')),
        'the failure is logged',
      );
    } finally {
      await d.close();
    }
  });
});

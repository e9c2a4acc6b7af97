// The HSS, the core and the Provisioning Server on the one HTTP kit: /healthz, /readyz (and not ready when the
// store or the HSS is gone), /openapi.json with every route and its path parameters, /metrics moving after a
// vector, a resync, a MAC failure, an attach, a key update (and never carrying an IMSI or ICCID), 404 and 5xx
// bodies as ProblemDetails without internal text, and an empty JSON body the same 400 on all three.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildAuts } from '../../src/aka/index.js';
import { toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { buildCoreApp } from '../../src/core/index.js';
import { HssClient } from '../../src/hss/client/index.js';
import { buildHssApp, HssMetrics, type Auc } from '../../src/hss/index.js';
import type { SubscriberStore } from '../../src/hss/store/index.js';
import { silentLogger } from '../../src/ports/index.js';
import {
  buildServerApp,
  SqliteJobStore,
  type JobRecord,
  type ServerApp,
  type SessionConfig,
} from '../../src/server/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { startNetwork, newCard, SNN as CORE_SNN, type Network } from '../core/support/network.js';
import { testAuth } from '../helpers/auth.js';
import { backends } from '../hss/backends.js';
import { functionsOf, imsiOf, makeHss, milenageKeys, SNN } from '../hss/fixture.js';
import { newJob, world, type World } from '../server/support/world.js';
import { assertMetricNaming, assertOpenApi, sample, type OpenApiDoc } from './support/checks.js';

const SECRET = 'internal: row 7 of subscribers locked by pid 4242';
const EMPTY_BODY_PROBLEM = {
  status: 400,
  title: 'Bad Request',
  detail: 'body: missing',
  cause: 'MANDATORY_IE_MISSING',
  invalidParams: [{ param: 'body', reason: 'missing' }],
};
const NOT_FOUND = (path: string) => ({
  status: 404,
  title: 'Not Found',
  detail: `no resource GET ${path}`,
  cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND',
});
const INTERNAL = {
  status: 500,
  title: 'Internal Server Error',
  detail: 'internal error',
  cause: 'SYSTEM_FAILURE',
};
const JSON_HEADERS = { 'content-type': 'application/json' };
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** The answers every service gives alike; returns the empty-body answer to compare across services. */
async function commonAnswers(get: (path: string, headers?: Record<string, string>) => Promise<Response>) {
  const health = await get('/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await get('/readyz');
  const readyBody = (await ready.json()) as { status: string };
  assert.equal(ready.status, 200, JSON.stringify(readyBody));
  assert.equal(readyBody.status, 'ready');
  const missing = await get('/no/such/thing');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), PROBLEM_TYPE);
  assert.deepEqual(await missing.json(), NOT_FOUND('/no/such/thing'));
}

describe('HSS on the HTTP kit', () => {
  const backend = backends()[0];
  const auth = testAuth('kit-hss');
  let store: SubscriberStore;
  let t: ReturnType<typeof makeHss>;
  let metrics: HssMetrics;
  let app: FastifyInstance;
  before(async () => {
    store = await backend.open();
    t = makeHss(store);
    metrics = new HssMetrics();
    app = buildHssApp({
      hss: t.hss,
      auc: t.auc,
      logger: t.logger,
      authenticator: auth.authenticator,
      metrics,
    });
  });
  after(async () => {
    await app.close();
    await store.close();
    await backend.cleanup();
  });
  const inject = (
    method: string,
    url: string,
    as?: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { ...(as === undefined ? {} : auth.bearer(as)), ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
  const asFetch = async (path: string, headers: Record<string, string> = {}) => {
    const r = await inject('GET', path, undefined, undefined, headers);
    return new Response(r.body, { status: r.statusCode, headers: r.headers as Record<string, string> });
  };

  it('answers /healthz, /readyz, 404 and /openapi.json with every route and its path parameters', async () => {
    await commonAnswers(asFetch);
    const doc = (await inject('GET', '/openapi.json')).json();
    assertOpenApi(app, doc, [
      'POST /nudm-ueau/v1/{supi}/security-information/generate-auth-data',
      'POST /nudm-ueau/v1/{supi}/security-information/generate-eps-auth-data',
      'POST /nudm-ueau/v1/{supi}/auth-events',
      'POST /admin/v1/subscribers',
      'GET /admin/v1/subscribers',
      'GET /admin/v1/subscribers/{imsi}',
      'POST /admin/v1/subscribers/lookup',
      'PATCH /admin/v1/subscribers/{imsi}',
      'DELETE /admin/v1/subscribers/{imsi}',
      'PUT /admin/v1/subscribers/{imsi}/candidate',
      'POST /admin/v1/subscribers/{imsi}/candidate/commit',
      'POST /admin/v1/subscribers/{imsi}/candidate/abort',
      'GET /admin/v1/subscribers/{imsi}/audit',
    ]);
    assert.deepEqual(doc.paths['/admin/v1/subscribers/{imsi}'].get['x-ltku-roles'], [
      'operator',
      'provisioner',
    ]);
  });

  it('/metrics: vectors, resyncs and MAC failures move; no IMSI or ICCID in the output; operator only', async () => {
    const km = milenageKeys('kit-metrics');
    const imsi = imsiOf(700);
    const iccid = '8988211000000007001';
    const created = await inject('POST', '/admin/v1/subscribers', 'operator', {
      imsi,
      iccid,
      algorithm: 'milenage',
      k: toHex(km.k),
      opc: toHex(km.opc),
    });
    assert.equal(created.statusCode, 201, created.body);
    const gen = `/nudm-ueau/v1/imsi-${imsi}/security-information/generate-auth-data`;
    const before = await metrics.text();
    const v = (await inject('POST', gen, 'core', { servingNetworkName: SNN })).json().authenticationVector;
    const auts = buildAuts(functionsOf(km), Buffer.from(v.rand, 'hex'), (5n << 5n) | 1n);
    const resynced = await inject('POST', gen, 'core', {
      servingNetworkName: SNN,
      resynchronizationInfo: { rand: v.rand, auts: toHex(auts) },
    });
    assert.equal(resynced.statusCode, 200, resynced.body);
    const event = await inject('POST', `/nudm-ueau/v1/imsi-${imsi}/auth-events`, 'core', {
      success: false,
      rand: resynced.json().authenticationVector.rand,
      authType: '5G_AKA',
      failure: 'MAC_FAILURE',
    });
    assert.equal(event.statusCode, 201, event.body);
    assert.equal((await inject('GET', '/metrics')).statusCode, 401);
    assert.equal((await inject('GET', '/metrics', 'core')).statusCode, 403);
    const scrape = await inject('GET', '/metrics', 'operator');
    assert.equal(scrape.statusCode, 200);
    const text = scrape.body;
    const moved = (key: string) => sample(text, key) - sample(before, key);
    assert.equal(moved('ltku_hss_vectors_served_total{av_type="5G_HE_AKA"}'), 2);
    assert.equal(moved('ltku_hss_resyncs_total'), 1);
    assert.equal(moved('ltku_hss_mac_failures_reported_total'), 1);
    assert.equal(
      moved(
        'ltku_http_requests_total{method="POST",route="/nudm-ueau/v1/:supi/security-information/generate-auth-data",status="200"}',
      ),
      2,
    );
    assertMetricNaming(text, [imsi, iccid]);
  });

  it('5xx without internal text; an empty JSON body is "body: missing"; not ready when the store is gone', async () => {
    const failing = { generateHeAka: () => Promise.reject(new Error(SECRET)) } as unknown as Auc;
    const broken = buildHssApp({
      hss: t.hss,
      auc: failing,
      logger: t.logger,
      authenticator: auth.authenticator,
    });
    const r = await broken.inject({
      method: 'POST',
      url: `/nudm-ueau/v1/imsi-${imsiOf(700)}/security-information/generate-auth-data`,
      headers: auth.bearer('core'),
      payload: { servingNetworkName: SNN },
    });
    await broken.close();
    assert.equal(r.statusCode, 500);
    assert.deepEqual(r.json(), INTERNAL);
    assert.ok(
      t.logger.lines.some((l) => l.includes('hss-error') && l.includes(SECRET)),
      'logged',
    );
    const empty = await inject('POST', '/admin/v1/subscribers', 'operator', '', JSON_HEADERS);
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(empty.json(), EMPTY_BODY_PROBLEM);

    const closed = await backend.open();
    const c = makeHss(closed);
    await closed.close();
    const gone = buildHssApp({ hss: c.hss, auc: c.auc, logger: c.logger, authenticator: auth.authenticator });
    const notReady = await gone.inject({ method: 'GET', url: '/readyz' });
    assert.equal((await gone.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    await gone.close();
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.headers['content-type'], PROBLEM_TYPE);
    assert.deepEqual(notReady.json(), {
      status: 503,
      title: 'Service Unavailable',
      detail: 'not ready: store not reachable',
      cause: 'NF_SERVICE_NOT_READY',
    });
  });
});

describe('core on the HTTP kit', () => {
  let net: Network;
  before(async () => {
    net = await startNetwork({ seed: 'kit-core' });
  });
  after(() => net.close());
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${net.coreUrl}${path}`, { headers });
  const coreApp = (hss: Parameters<typeof buildCoreApp>[0]['hss']) =>
    buildCoreApp({
      hss,
      clock: { now: () => new Date() },
      rng: new SeededRandom('kit-core-app'),
      logger: silentLogger,
      authenticator: net.auth.authenticator,
      keepAliveMs: 0,
    });

  it('answers /healthz, /readyz (the HSS answers), 404 and /openapi.json with every route', async () => {
    await commonAnswers(get);
    const app = coreApp(new HssClient(net.hssUrl));
    try {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assertOpenApi(app, doc, [
        'POST /core/v1/attach',
        'POST /core/v1/attach/{attachId}/response',
        'POST /core/v1/detach',
        'GET /core/v1/ues/{imsi}',
        'GET /core/v1/ues/{imsi}/events',
        'POST /core/v1/ues/{imsi}/push',
      ]);
    } finally {
      await app.close();
    }
  });

  it('/metrics counts an attach by route; no IMSI or ICCID in the output', async () => {
    const ue = newCard('kit-core-ue');
    await net.provision(ue.image);
    const p = ue.image.profiles[0];
    const key = 'ltku_http_requests_total{method="POST",route="/core/v1/attach",status="200"}';
    const before = await (await get('/metrics', net.auth.bearer('operator'))).text();
    const r = await fetch(`${net.coreUrl}/core/v1/attach`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ imsi: p.imsi, servingNetworkName: CORE_SNN }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    await r.arrayBuffer();
    assert.equal((await get('/metrics')).status, 401);
    const text = await (await get('/metrics', net.auth.bearer('operator'))).text();
    assert.equal(sample(text, key) - sample(before, key), 1);
    assertMetricNaming(text, [p.imsi, p.iccid]);
  });

  it('an HSS failure is a 502 without its text; an empty JSON body is "body: missing"; not ready without the HSS', async () => {
    const failing = coreApp({
      generateAuthData: () => Promise.reject(new Error(SECRET)),
      reportAuthEvent: () => Promise.reject(new Error(SECRET)),
    });
    const r = await failing.inject({
      method: 'POST',
      url: '/core/v1/attach',
      payload: { imsi: '001010000000999' },
    });
    await failing.close();
    assert.equal(r.statusCode, 502);
    assert.equal(r.headers['content-type'], PROBLEM_TYPE);
    assert.equal(r.json().cause, 'UPSTREAM_SERVER_ERROR');
    assert.equal(r.body.includes('pid 4242') || r.body.includes('001010000000999'), false, r.body);
    const empty = await fetch(`${net.coreUrl}/core/v1/attach`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: '',
    });
    assert.equal(empty.status, 400);
    assert.deepEqual(await empty.json(), EMPTY_BODY_PROBLEM);
    const orphan = coreApp(new HssClient('http://127.0.0.1:9', { timeoutMs: 1000 }));
    const notReady = await orphan.inject({ method: 'GET', url: '/readyz' });
    await orphan.close();
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.json().detail, 'not ready: hss not reachable');
  });
});

/** A job store whose reads fail while `broken` (a database gone). */
class FlakyJobStore extends SqliteJobStore {
  broken = false;
  override async list(page: { limit?: number; offset?: number } = {}): Promise<JobRecord[]> {
    if (this.broken) throw new Error(SECRET);
    return super.list(page);
  }
}

describe('Provisioning Server on the HTTP kit', () => {
  let w: World;
  let hssDown = false;
  const store = new FlakyJobStore(':memory:');
  before(async () => {
    w = await world('kit-server', {
      store,
      hssFetch: (input, init) =>
        hssDown && String(input).endsWith('/readyz')
          ? Promise.reject(new TypeError('fetch failed'))
          : fetch(input, init),
    });
  });
  /** The same server app, unstarted, with credentials of its own (for inject). */
  const builtAuth = testAuth('kit-server-app');
  let built: ServerApp;
  before(() => {
    built = buildServerApp({
      store: new SqliteJobStore(':memory:'),
      hss: w.hss,
      // only the RAM sessions use the rest of the session configuration (no OCE credential to prepare)
      session: {
        rng: new SeededRandom('kit-server-app'),
        clock: w.clock,
        oce: [],
      } as unknown as SessionConfig,
      kek: new Uint8Array(32),
      authenticator: builtAuth.authenticator,
    });
  });
  after(async () => {
    await built.admin.close();
    await built.ram.close();
    await w.close();
  });
  const ramBase = () => new URL(w.server.ramUrl).origin;
  const adminGet = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${w.server.adminUrl}${path}`, { headers });
  const ramGet = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${ramBase()}${path}`, { headers });

  it('both listeners answer /healthz, /readyz and 404; the admin /openapi.json lists every route', async () => {
    await commonAnswers(adminGet);
    await commonAnswers(ramGet);
    const ramRoot = await ramGet('/openapi.json');
    assert.equal(ramRoot.status, 404, 'nothing but the RAM endpoint and the probes on the RAM listener');
    await ramRoot.arrayBuffer();
    const doc = (await (await adminGet('/openapi.json')).json()) as OpenApiDoc;
    assertOpenApi(built.admin, doc, [
      'POST /admin/v1/jobs',
      'POST /admin/v1/jobs/import',
      'POST /admin/v1/jobs/batch',
      'GET /admin/v1/jobs',
      'GET /admin/v1/jobs/{id}',
      'POST /admin/v1/jobs/{id}/cancel',
      'GET /admin/v1/cards/{eid}/jobs',
      'GET /admin/v1/status',
    ]);
    for (const op of ['/admin/v1/jobs/{id}', '/admin/v1/cards/{eid}/jobs'])
      assert.deepEqual(doc.paths[op].get['x-ltku-roles'], ['operator']);
  });

  it('/metrics (admin listener only): key updates by outcome, session duration, security alarms', async () => {
    const p = w.s.image.profiles[0];
    const metrics = () => w.admin('GET', '/metrics').then((r) => r.text());
    const before = await metrics();
    await newJob(w, { iccid: p.iccid });
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    w.server.jobs.securityAlarms += 2;
    const text = await metrics();
    const moved = (key: string) => sample(text, key) - sample(before, key);
    assert.equal(moved('ltku_server_key_updates_total{outcome="applied"}'), 1);
    assert.equal(moved('ltku_server_session_duration_seconds_count{outcome="applied"}'), 1);
    assert.ok(sample(text, 'ltku_server_session_duration_seconds_sum{outcome="applied"}') > 0);
    assert.equal(moved('ltku_server_security_alarms_total'), 2);
    assert.ok(
      moved('ltku_http_requests_total{method="POST",route="/ram/v1/sessions/:id",status="200"}') >= 1,
    );
    assert.equal(moved('ltku_http_requests_total{method="POST",route="/admin/v1/jobs",status="201"}'), 1);
    assertMetricNaming(text, [p.imsi, p.iccid, w.s.image.eid]);
    assert.equal((await adminGet('/metrics')).status, 401);
    const onRam = await ramGet('/metrics');
    assert.equal(onRam.status, 404, 'not on the UE-facing listener');
    await onRam.arrayBuffer();
  });

  it('5xx without internal text; an empty JSON body is "body: missing"; not ready without the store or the HSS', async () => {
    const empty = await built.admin.inject({
      method: 'POST',
      url: '/admin/v1/jobs',
      headers: { ...builtAuth.bearer('operator'), ...JSON_HEADERS },
      payload: '',
    });
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(empty.json(), EMPTY_BODY_PROBLEM);
    store.broken = true;
    try {
      const r = await w.admin('GET', '/admin/v1/jobs');
      assert.equal(r.status, 500);
      assert.equal(r.headers.get('content-type'), PROBLEM_TYPE);
      assert.deepEqual(await r.json(), INTERNAL);
      assert.ok(
        w.logs.some((l) => l.includes('server-error') && l.includes(SECRET)),
        'logged',
      );
      for (const get of [adminGet, ramGet]) {
        const notReady = await get('/readyz');
        assert.equal(notReady.status, 503);
        assert.equal(
          ((await notReady.json()) as { detail: string }).detail,
          'not ready: store not reachable',
        );
      }
    } finally {
      store.broken = false;
    }
    hssDown = true;
    try {
      const notReady = await adminGet('/readyz');
      assert.equal(notReady.status, 503);
      assert.equal(((await notReady.json()) as { detail: string }).detail, 'not ready: hss not reachable');
    } finally {
      hssDown = false;
    }
    assert.equal((await adminGet('/readyz')).status, 200);
  });
});

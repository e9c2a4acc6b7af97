// The HTTP kit (src/http) on a small route table: inputs validated in order with the field named, an empty JSON
// body the same clear 400 everywhere, fastify's own 4xx as ProblemDetails, a 5xx without internal text (logged),
// a 404 ProblemDetails, readiness naming the dependency, requests counted by route pattern, one registry per app.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  createServiceApp,
  HttpMetrics,
  HttpProblem,
  registerRoutes,
  createHttpApp,
  route,
  type ReadinessCheck,
} from '../../src/http/index.js';
import type { Logger } from '../../src/ports/index.js';
import { testAuth } from '../helpers/auth.js';
import { assertOpenApi, sample } from './support/checks.js';

const SECRET = 'db password is hunter2 for imsi 001010000000001';

class DomainError extends Error {}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (obj: object | string, msg?: string) => void lines.push(JSON.stringify([obj, msg]));
  const logger: Logger = { trace: log, debug: log, info: log, warn: log, error: log, child: () => logger };
  return { logger, lines };
}

function kitApp(readiness: ReadinessCheck[] = []) {
  const auth = testAuth('kit');
  const { logger, lines } = capture();
  const metrics = new HttpMetrics();
  const app = createServiceApp({
    service: 'kit',
    title: 'kit',
    logger,
    authenticator: auth.authenticator,
    info: { title: 'kit', version: '1', description: 'test' },
    readiness,
    metrics,
    mapError: (e) =>
      e instanceof DomainError
        ? new HttpProblem({ status: 409, title: 'Conflict', detail: e.message })
        : undefined,
    routes: [
      route({
        method: 'POST',
        path: '/things/{id}',
        summary: 'make a thing',
        roles: ['operator'],
        params: z.object({ id: z.string().regex(/^[0-9]{3}$/, 'expected 3 digits') }),
        query: z.object({ n: z.coerce.number().int().min(1).optional() }),
        body: z.strictObject({ name: z.string().min(1) }),
        ok: { status: 201, description: 'made' },
        errors: [409],
        handler: async ({ params, query, body, actor }) => {
          if (body.name === 'conflict') throw new DomainError('thing exists');
          if (body.name === 'crash') throw new Error(SECRET);
          return { id: params.id, n: query.n ?? 1, name: body.name, by: actor };
        },
      }),
      route({
        method: 'PATCH',
        path: '/things/{id}',
        summary: 'patch a thing (body optional)',
        params: z.object({ id: z.string() }),
        body: z.strictObject({ name: z.string().optional() }),
        bodyOptional: true,
        ok: { status: 200, description: 'patched' },
        handler: async ({ body }) => ({ patched: body }),
      }),
    ],
  });
  return { app, auth, lines, metrics };
}

describe('HTTP kit', () => {
  it('validates roles, then path, query and body, naming the field; runs the handler with the principal', async () => {
    const { app, auth } = kitApp();
    const post = (url: string, payload?: string, headers: Record<string, string> = auth.bearer('operator')) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        ...(payload === undefined ? {} : { payload }),
      });
    assert.equal((await post('/things/12x', '{}', {})).statusCode, 401, 'roles first');
    assert.equal((await post('/things/123', '{"name":"a"}', auth.bearer('core'))).statusCode, 403);
    const cases: [string, string | undefined, string, string][] = [
      ['/things/12x', '{"name":"a"}', 'id', 'expected 3 digits'],
      ['/things/123?n=0', '{"name":"a"}', 'query.n', ''],
      ['/things/123', '{"name":""}', 'body.name', ''],
      ['/things/123', '{}', 'body.name', 'missing'],
      ['/things/123', '{"name":"a","extra":1}', 'body.extra', 'unknown field'],
      ['/things/123', '', 'body', 'missing'],
      ['/things/123', '  ', 'body', 'missing'],
      ['/things/123', '{"name":', 'body', 'malformed JSON'],
    ];
    for (const [url, payload, param, reason] of cases) {
      const r = await post(url, payload);
      assert.equal(r.statusCode, 400, `${url} ${payload}: ${r.body}`);
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
      const p = r.json();
      assert.equal(p.title, 'Bad Request');
      assert.equal(p.invalidParams[0].param, param, r.body);
      assert.ok(p.detail.startsWith(`${param}: `), p.detail);
      if (reason !== '') assert.equal(p.invalidParams[0].reason, reason, r.body);
    }
    const ok = await post('/things/123?n=2', '{"name":"a"}');
    assert.equal(ok.statusCode, 201);
    assert.deepEqual(ok.json(), { id: '123', n: 2, name: 'a', by: 'operator' });
    const noBody = await app.inject({ method: 'POST', url: '/things/123', headers: auth.bearer('operator') });
    assert.equal(noBody.statusCode, 400, 'no body at all is the same as an empty JSON body');
    assert.deepEqual(noBody.json(), (await post('/things/123', '')).json());
    assert.equal(
      (await post('/things/123', '{}', { ...auth.bearer('operator'), 'content-type': 'text/xml' }))
        .statusCode,
      415,
    );
    const patched = await app.inject({
      method: 'PATCH',
      url: '/things/1',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(patched.statusCode, 200, 'an optional body may be empty');
    assert.deepEqual(patched.json(), { patched: {} });
    await app.close();
  });

  it('maps domain errors; a 500 says "internal error" only and logs the details; 404 is ProblemDetails', async () => {
    const { app, auth, lines } = kitApp();
    const post = (name: string) =>
      app.inject({ method: 'POST', url: '/things/123', headers: auth.bearer('operator'), payload: { name } });
    const conflict = await post('conflict');
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.json().detail, 'thing exists');
    const crash = await post('crash');
    assert.equal(crash.statusCode, 500);
    assert.deepEqual(crash.json(), {
      status: 500,
      title: 'Internal Server Error',
      detail: 'internal error',
      cause: 'SYSTEM_FAILURE',
    });
    assert.ok(
      lines.some((l) => l.includes('kit-error') && l.includes(SECRET)),
      'logged with the details',
    );
    const missing = await app.inject({ method: 'GET', url: '/nothing?x=1' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.deepEqual(missing.json(), {
      status: 404,
      title: 'Not Found',
      detail: 'no resource GET /nothing',
      cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND',
    });
    await app.close();
  });

  it('/healthz, /readyz naming the failing dependency (its error only in the log), /openapi.json', async () => {
    let storeUp = true;
    const { app, lines } = kitApp([
      { name: 'store', probe: async () => (storeUp ? undefined : Promise.reject(new Error(SECRET))) },
      { name: 'upstream', probe: async () => {} },
    ]);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: ['store', 'upstream'] });
    storeUp = false;
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.json().detail, 'not ready: store not reachable');
    assert.equal(notReady.body.includes('hunter2'), false);
    assert.ok(lines.some((l) => l.includes('not-ready') && l.includes(SECRET)));
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still alive');
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assertOpenApi(app, doc, ['POST /things/{id}', 'PATCH /things/{id}']);
    const op = doc.paths['/things/{id}'].post;
    assert.deepEqual(op['x-ltku-roles'], ['operator']);
    assert.deepEqual(
      op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
      ['path:id', 'query:n'],
    );
    assert.equal(op.parameters[0].schema.pattern, '^[0-9]{3}$');
    assert.deepEqual(Object.keys(op.responses).sort(), ['201', '400', '401', '403', '409', '500']);
    assert.equal(doc.paths['/things/{id}'].patch.requestBody.required, false);
    await app.close();
  });

  it('counts requests by route pattern (never the URL) in a registry of its own', async () => {
    const a = kitApp();
    const b = kitApp();
    for (const id of ['111', '222'])
      await a.app.inject({
        method: 'POST',
        url: `/things/${id}`,
        headers: a.auth.bearer('operator'),
        payload: { name: 'x' },
      });
    await a.app.inject({ method: 'GET', url: '/nothing/333' });
    const scrape = await a.app.inject({ method: 'GET', url: '/metrics', headers: a.auth.bearer('operator') });
    assert.equal(scrape.statusCode, 200);
    assert.match(String(scrape.headers['content-type']), /^text\/plain/);
    assert.equal(
      sample(scrape.body, 'ltku_http_requests_total{method="POST",route="/things/:id",status="201"}'),
      2,
    );
    assert.equal(
      sample(scrape.body, 'ltku_http_requests_total{method="GET",route="unmatched",status="404"}'),
      1,
    );
    for (const id of ['111', '222', '333'])
      assert.equal(scrape.body.includes(id), false, 'no URL in a label');
    assert.equal((await a.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401, 'operator only');
    assert.equal(
      (await a.app.inject({ method: 'GET', url: '/metrics', headers: a.auth.bearer('core') })).statusCode,
      403,
    );
    const other = await b.metrics.text();
    assert.equal(
      sample(other, 'ltku_http_requests_total{method="POST",route="/things/:id",status="201"}'),
      0,
      'registries are apart',
    );
    await a.app.close();
    await b.app.close();
  });

  it('refuses a table whose path parameters and params schema differ', () => {
    const app = createHttpApp({ service: 'kit', title: 'kit', logger: capture().logger });
    const bad = route({
      method: 'GET',
      path: '/a/{id}/b/{other}',
      summary: 'x',
      params: z.object({ id: z.string() }),
      ok: { status: 200, description: 'x' },
      handler: async () => ({}),
    });
    assert.throws(() => registerRoutes(app, [bad], testAuth('kit').authenticator), /other/);
  });
});

// Checks every service's HTTP answers share: an OpenAPI 3.1 document whose operations are exactly the routes,
// with every path parameter declared and the roles of secured operations with their 401/403 answers; a
// Prometheus text exposition parsed into samples.
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

type Operation = {
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  responses?: Record<string, unknown>;
  security?: Record<string, unknown>[];
  'x-ltku-roles'?: string[];
};
export type OpenApiDoc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
};

/** The routes every service has besides its own. */
export const COMMON_OPERATIONS = ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json'];

/**
 * The document is OpenAPI 3.1 and lists exactly `expected` ("METHOD /path/{param}"), each answered by `app`
 * (not a 404 of "no such route"), each path parameter declared, each operation with roles secured by bearer
 * with 401 and 403 answers.
 */
export function assertOpenApi(app: FastifyInstance, doc: OpenApiDoc, expected: readonly string[]): void {
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(typeof doc.info.title, 'string');
  assert.equal(typeof doc.info.version, 'string');
  assert.ok(doc.components.schemas.ProblemDetails, 'ProblemDetails schema');
  assert.deepEqual(doc.components.securitySchemes.bearer, {
    type: 'http',
    scheme: 'bearer',
    description: (doc.components.securitySchemes.bearer as { description: string }).description,
  });
  const listed: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    assert.ok(path.startsWith('/'), path);
    for (const [method, op] of Object.entries(methods)) {
      listed.push(`${method.toUpperCase()} ${path}`);
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(
        declared.map((p) => p.name),
        names,
        `${method} ${path}: path parameters declared`,
      );
      for (const p of declared) {
        assert.equal(p.required, true, `${path} {${p.name}} required`);
        assert.equal(typeof p.schema, 'object', `${path} {${p.name}} has a schema`);
      }
      assert.ok(Object.keys(op.responses ?? {}).length > 0, `${method} ${path}: responses`);
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      assert.ok(app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${path} is a route`);
      if (op['x-ltku-roles'] !== undefined) {
        assert.ok(op['x-ltku-roles'].length > 0, `${path} roles`);
        assert.deepEqual(op.security, [{ bearer: [] }], `${method} ${path} security`);
        for (const status of ['401', '403'])
          assert.ok(op.responses?.[status], `${method} ${path} declares ${status}`);
      }
    }
  }
  assert.deepEqual(listed.sort(), [...expected, ...COMMON_OPERATIONS].sort());
  assert.deepEqual(doc.paths['/metrics'].get['x-ltku-roles'], ['operator'], '/metrics for the operator role');
  for (const open of ['/healthz', '/readyz', '/openapi.json'])
    assert.equal(doc.paths[open].get.security, undefined, `${open} is open`);
}

/** `name{labels}` -> value of a Prometheus text exposition (format 0.0.4). */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** The value of a sample (0 when absent: a labelled counter appears at its first increment). */
export function sample(text: string, key: string): number {
  return samples(text).get(key) ?? 0;
}

/** Every metric name is ltku_*; counters end in _total; no label value is an IMSI, ICCID or EID. */
export function assertMetricNaming(text: string, secrets: readonly string[]): void {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) {
      assert.match(type[1], /^ltku_/, type[1]);
      if (type[2] === 'counter') assert.match(type[1], /_total$/, type[1]);
      if (type[2] === 'histogram') assert.match(type[1], /_seconds$/, type[1]);
    }
  }
  for (const s of secrets) assert.equal(text.includes(s), false, `the metrics do not carry ${s}`);
}

// The core serves an OpenAPI 3.1 description of every route it answers (its own and the kit's probes, metrics and
// description), with the request schemas that validate, the path parameters and the roles.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/crypto/index.js';
import { buildCoreApp, type AuthDataSource } from '../../src/core/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import { testAuth } from '../helpers/auth.js';

const unusedHss: AuthDataSource = {
  generateAuthData: () => Promise.reject(new Error('not used')),
  reportAuthEvent: () => Promise.reject(new Error('not used')),
};

describe('core /openapi.json', () => {
  it('describes each route of the attach API with its request schema and its security', async () => {
    const auth = testAuth('openapi');
    const app = buildCoreApp({
      hss: unusedHss,
      clock: new FixedClock(new Date('2030-01-01T00:00:00Z')),
      rng: new SeededRandom('openapi'),
      logger: silentLogger,
      authenticator: auth.authenticator,
      keepAliveMs: 0,
    });
    try {
      const r = await app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(r.statusCode, 200);
      const doc = r.json() as {
        openapi: string;
        paths: Record<
          string,
          Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
        >;
      };
      assert.equal(doc.openapi, '3.1.0');
      assert.deepEqual(Object.keys(doc.paths).sort(), [
        '/core/v1/attach',
        '/core/v1/attach/{attachId}/response',
        '/core/v1/detach',
        '/core/v1/ues/{imsi}',
        '/core/v1/ues/{imsi}/events',
        '/core/v1/ues/{imsi}/push',
        '/healthz',
        '/metrics',
        '/openapi.json',
        '/readyz',
      ]);
      const attachBody = doc.paths['/core/v1/attach'].post.requestBody?.content['application/json']
        .schema as {
        properties: Record<string, unknown>;
        required: string[];
      };
      assert.deepEqual(Object.keys(attachBody.properties).sort(), ['imsi', 'servingNetworkName']);
      assert.deepEqual(attachBody.required, ['imsi']);
      // every route the description lists answers something other than "no such resource"
      const probes = [
        ['POST', '/core/v1/attach'],
        ['POST', '/core/v1/attach/00112233445566778899aabbccddeeff/response'],
        ['POST', '/core/v1/detach'],
        ['GET', '/core/v1/ues/001010000000001'],
        ['POST', '/core/v1/ues/001010000000001/push'],
      ] as const;
      for (const [method, url] of probes) {
        const p = await app.inject({ method, url, payload: {}, headers: auth.bearer('operator') });
        assert.notEqual(p.json().cause, 'RESOURCE_URI_STRUCTURE_NOT_FOUND', `${method} ${url}`);
      }
      // DESIGN.md 7: the secured operations say so, with the role
      const ops = doc.paths as unknown as Record<string, Record<string, Record<string, unknown>>>;
      assert.deepEqual(ops['/core/v1/ues/{imsi}/push'].post.security, [{ bearer: [] }]);
      assert.deepEqual(ops['/core/v1/ues/{imsi}/push'].post['x-ltku-roles'], ['provisioner']);
      assert.deepEqual(ops['/core/v1/ues/{imsi}'].get['x-ltku-roles'], ['operator']);
      assert.deepEqual(
        (ops['/core/v1/attach/{attachId}/response'].post.parameters as { name: string; in: string }[]).map(
          (p) => `${p.in}:${p.name}`,
        ),
        ['path:attachId'],
        'path parameters are declared',
      );
      assert.deepEqual(ops['/core/v1/ues/{imsi}/events'].get.security, [{ attachToken: [] }]);
      assert.equal(ops['/core/v1/attach'].post.security, undefined, 'attach stays open (UE-facing)');
      const detachBody = ops['/core/v1/detach'].post.requestBody as {
        content: Record<string, { schema: { properties: Record<string, unknown> } }>;
      };
      assert.ok(detachBody.content['application/json'].schema.properties.attachToken);
    } finally {
      await app.close();
    }
  });
});

// The HSS HTTP API on both backends: through fastify.inject (routes, ProblemDetails, 400 naming the field,
// OpenAPI) and through HssClient on a real listening socket (typed flow, 50 parallel vectors, errors); every
// route but /openapi.json and /healthz for its roles only (DESIGN.md 7), the audit actor the principal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { buildHssApp, listenHss, type RunningHss } from '../../src/hss/index.js';
import { HssClient, HssClientError } from '../../src/hss/client/index.js';
import type { SubscriberStore } from '../../src/hss/store/index.js';
import { backends } from './backends.js';
import { functionsOf, imsiOf, makeHss, milenageKeys, SNN, tuakKeys, usim5g, usimEps } from './fixture.js';
import { buildAuts, sqnAfterResync } from '../../src/aka/index.js';
import { AllRolesHssClient, testAuth } from '../helpers/auth.js';

const GEN = (imsi: string) => `/nudm-ueau/v1/imsi-${imsi}/security-information/generate-auth-data`;

/** contracts.md "Auth": the role each route needs (a reader route also takes provisioner). */
function roleFor(url: string): 'operator' | 'provisioner' | 'core' {
  if (url.startsWith('/nudm-ueau/')) return 'core';
  if (/\/candidate(\/commit|\/abort)?$/.test(url.split('?')[0])) return 'provisioner';
  return 'operator';
}

for (const backend of backends()) {
  describe(`HSS HTTP API on ${backend.name}`, { skip: backend.skip }, () => {
    let store: SubscriberStore;
    let t: ReturnType<typeof makeHss>;
    let app: ReturnType<typeof buildHssApp>;
    let running: RunningHss;
    let client: HssClient;
    const auth = testAuth(`http-${backend.name}`);
    const { authenticator } = auth;
    before(async () => {
      store = await backend.open();
      t = makeHss(store);
      app = buildHssApp({ hss: t.hss, auc: t.auc, logger: t.logger, authenticator });
      running = await listenHss({ hss: t.hss, auc: t.auc, logger: t.logger, authenticator });
      client = new AllRolesHssClient(running.url, auth);
    });
    after(async () => {
      await app.close();
      await running.close();
      await store.close();
      await backend.cleanup();
    });

    /** As the principal of the route's role (see roleFor), unless `as` names another or null (none). */
    const inject = (method: string, url: string, payload?: unknown, as?: string | null) =>
      app.inject({
        method: method as 'GET',
        url,
        ...(as === null ? {} : { headers: auth.bearer(as ?? roleFor(url)) }),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    it('admin: create (no keys echoed), duplicate 409, read, list, patch, delete', async () => {
      const km = milenageKeys('h1');
      const body = {
        imsi: imsiOf(1),
        iccid: '8988211000000000011',
        algorithm: 'milenage',
        k: toHex(km.k),
        opc: toHex(km.opc),
      };
      const created = await inject('POST', '/admin/v1/subscribers', body);
      assert.equal(created.statusCode, 201);
      assert.equal(created.body.includes(toHex(km.k)), false);
      assert.equal(created.body.includes(toHex(km.opc)), false);
      assert.deepEqual(
        { ...created.json<object>(), updatedAt: undefined },
        {
          imsi: imsiOf(1),
          iccid: '8988211000000000011',
          algorithm: 'milenage',
          activeVersion: 1,
          amf: '8000',
          sqn: 0,
          updatedAt: undefined,
        },
      );
      const dup = await inject('POST', '/admin/v1/subscribers', body);
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(dup.json().cause, 'CONFLICT');
      assert.equal(
        (await inject('GET', `/admin/v1/subscribers/${imsiOf(1)}`)).json().iccid,
        '8988211000000000011',
      );
      const list = (await inject('GET', '/admin/v1/subscribers?limit=10')).json();
      assert.ok(list.subscribers.some((s: { imsi: string }) => s.imsi === imsiOf(1)));
      const patched = await inject('PATCH', `/admin/v1/subscribers/${imsiOf(1)}`, { amf: '9000' });
      assert.equal(patched.json().amf, '9000');
      assert.equal((await inject('DELETE', `/admin/v1/subscribers/${imsiOf(1)}`)).statusCode, 204);
      const gone = await inject('GET', `/admin/v1/subscribers/${imsiOf(1)}`);
      assert.equal(gone.statusCode, 404);
      assert.equal(gone.json().cause, 'USER_NOT_FOUND');
    });

    it('bad input gets 400 ProblemDetails naming the field', async () => {
      const km = milenageKeys('h2');
      const cases: [string, string, unknown, string][] = [
        [
          'POST',
          '/admin/v1/subscribers',
          { imsi: imsiOf(2), algorithm: 'milenage', k: toHex(km.k).slice(2), opc: toHex(km.opc) },
          'body.k',
        ],
        [
          'POST',
          '/admin/v1/subscribers',
          { imsi: imsiOf(2), algorithm: 'milenage', k: toHex(km.k) },
          'body.opc',
        ],
        [
          'POST',
          '/admin/v1/subscribers',
          { imsi: '12345', algorithm: 'milenage', k: toHex(km.k), opc: toHex(km.opc) },
          'body.imsi',
        ],
        [
          'POST',
          '/admin/v1/subscribers',
          { imsi: imsiOf(2), algorithm: 'milenage', k: toHex(km.k), opc: toHex(km.opc), opC: 'x' },
          'body.opC',
        ],
        [
          'POST',
          '/admin/v1/subscribers',
          { imsi: imsiOf(2), algorithm: 'comp128', k: toHex(km.k) },
          'body.algorithm',
        ],
        [
          'POST',
          '/admin/v1/subscribers',
          {
            imsi: imsiOf(2),
            algorithm: 'tuak',
            k: toHex(km.k),
            topc: '00'.repeat(32),
            tuak: { macLength: 7 },
          },
          'body.tuak.macLength',
        ],
        ['POST', GEN(imsiOf(2)), {}, 'body.servingNetworkName'],
        [
          'POST',
          GEN(imsiOf(2)),
          { servingNetworkName: SNN, resynchronizationInfo: { rand: '00', auts: '00'.repeat(14) } },
          'body.resynchronizationInfo.rand',
        ],
        [
          'POST',
          '/nudm-ueau/v1/imsi-123/security-information/generate-auth-data',
          { servingNetworkName: SNN },
          'supi',
        ],
        [
          'POST',
          `/nudm-ueau/v1/imsi-${imsiOf(2)}/auth-events`,
          { success: 'yes', rand: '00'.repeat(16), authType: '5G_AKA' },
          'body.success',
        ],
        ['GET', '/admin/v1/subscribers/abc', undefined, 'imsi'],
        ['GET', '/admin/v1/subscribers?limit=0', undefined, 'query.limit'],
        [
          'PUT',
          `/admin/v1/subscribers/${imsiOf(2)}/candidate`,
          { keyVersion: 2, transactionId: 'zz', algorithm: 'milenage', k: toHex(km.k), opc: toHex(km.opc) },
          'body.transactionId',
        ],
      ];
      for (const [method, url, payload, field] of cases) {
        const r = await inject(method, url, payload);
        assert.equal(r.statusCode, 400, `${url} ${JSON.stringify(payload)}: ${r.body}`);
        const p = r.json();
        assert.equal(p.status, 400);
        assert.equal(p.invalidParams[0].param, field, r.body);
        assert.ok(p.detail.startsWith(field), p.detail);
        assert.equal(r.body.includes(toHex(km.k)), false, 'a rejected key is not echoed');
      }
      const malformed = await app.inject({
        method: 'POST',
        url: GEN(imsiOf(2)),
        payload: '{"servingNetworkName":',
        headers: { 'content-type': 'application/json', ...auth.bearer('core') },
      });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().cause, 'INVALID_MSG_FORMAT');
      const unknownRoute = await inject('GET', '/nope');
      assert.equal(unknownRoute.statusCode, 404);
      assert.equal(unknownRoute.json().status, 404);
    });

    it('generate-auth-data, EPS, auth-events and the candidate routes', async () => {
      const [oldKeys, newKeys] = [tuakKeys('h3'), milenageKeys('h3b')];
      await inject('POST', '/admin/v1/subscribers', {
        imsi: imsiOf(3),
        algorithm: 'tuak',
        k: toHex(oldKeys.k),
        topc: toHex(oldKeys.opc),
        tuak: oldKeys.tuak,
      });
      const r = await inject('POST', GEN(imsiOf(3)), { servingNetworkName: SNN, ignoredByUs: 1 });
      assert.equal(r.statusCode, 200, r.body);
      const j = r.json();
      assert.equal(j.authType, '5G_AKA');
      assert.equal(j.supi, `imsi-${imsiOf(3)}`);
      assert.equal(j.authenticationVector.avType, '5G_HE_AKA');
      const u = usim5g(oldKeys, fromHex(j.authenticationVector.rand), fromHex(j.authenticationVector.autn));
      assert.equal(u.macOk, true);
      assert.equal(toHex(u.resStar), j.authenticationVector.xresStar);
      assert.equal(toHex(u.kausf), j.authenticationVector.kausf);

      const eps = await inject(
        'POST',
        `/nudm-ueau/v1/imsi-${imsiOf(3)}/security-information/generate-eps-auth-data`,
        { servingNetworkId: { mcc: '001', mnc: '01' } },
      );
      const e = eps.json().authenticationVector;
      const ue = usimEps(oldKeys, fromHex(e.rand), fromHex(e.autn));
      assert.equal(toHex(ue.res), e.xres);
      assert.equal(toHex(ue.kasme), e.kasme);

      const tx = 'a1'.repeat(16);
      const staged = await inject('PUT', `/admin/v1/subscribers/${imsiOf(3)}/candidate`, {
        keyVersion: 2,
        transactionId: tx,
        algorithm: 'milenage',
        k: toHex(newKeys.k),
        opc: toHex(newKeys.opc),
      });
      assert.equal(staged.statusCode, 200, staged.body);
      assert.equal(staged.json().candidate.transactionId, tx);
      const other = await inject('PUT', `/admin/v1/subscribers/${imsiOf(3)}/candidate`, {
        keyVersion: 3,
        transactionId: 'b2'.repeat(16),
        algorithm: 'milenage',
        k: toHex(newKeys.k),
        opc: toHex(newKeys.opc),
      });
      assert.equal(other.statusCode, 409);
      assert.equal(
        (
          await inject('POST', `/admin/v1/subscribers/${imsiOf(3)}/candidate/commit`, { transactionId: tx })
        ).json().activeVersion,
        2,
      );
      assert.equal(
        (await inject('POST', `/admin/v1/subscribers/${imsiOf(3)}/candidate/commit`, { transactionId: tx }))
          .statusCode,
        200,
      );
      const v = (await inject('POST', GEN(imsiOf(3)), { servingNetworkName: SNN })).json()
        .authenticationVector;
      const ev = await inject('POST', `/nudm-ueau/v1/imsi-${imsiOf(3)}/auth-events`, {
        success: true,
        rand: v.rand,
        authType: '5G_AKA',
        servingNetworkName: SNN,
      });
      assert.equal(ev.statusCode, 201);
      assert.deepEqual(ev.json(), {});
      assert.equal(
        'previousVersion' in (await inject('GET', `/admin/v1/subscribers/${imsiOf(3)}`)).json(),
        false,
      );
      const audit = (await inject('GET', `/admin/v1/subscribers/${imsiOf(3)}/audit`)).json().events;
      assert.deepEqual(
        audit.map((a: { event: string }) => a.event),
        ['subscriber-created', 'candidate-staged', 'candidate-committed'],
      );
      assert.equal(audit[1].transactionId, tx);
      assert.equal(
        (await inject('POST', GEN(imsiOf(404)), { servingNetworkName: SNN })).json().cause,
        'USER_NOT_FOUND',
      );
    });

    it('no credentials: 403 AUTHENTICATION_REJECTED; store failure: 500 SYSTEM_FAILURE without internals', async () => {
      const now = new Date();
      await store.insert(
        {
          imsi: imsiOf(30),
          iccid: null,
          amf: Uint8Array.of(0x80, 0),
          sqn: 0n,
          indBits: 5,
          active: null,
          activeTransactionId: null,
          candidate: null,
          fallbackVersion: null,
          createdAt: now,
          updatedAt: now,
        },
        [],
      );
      const noKeys = await inject('POST', GEN(imsiOf(30)), { servingNetworkName: SNN });
      assert.equal(noKeys.statusCode, 403);
      assert.equal(noKeys.json().cause, 'AUTHENTICATION_REJECTED');
      const closed = await backend.open();
      const c = makeHss(closed);
      await closed.close();
      const broken = buildHssApp({ hss: c.hss, auc: c.auc, logger: c.logger, authenticator });
      const r = await broken.inject({
        method: 'POST',
        url: GEN(imsiOf(30)),
        headers: auth.bearer('core'),
        payload: { servingNetworkName: SNN },
      });
      await broken.close();
      assert.equal(r.statusCode, 500);
      assert.deepEqual(r.json(), {
        status: 500,
        title: 'Internal Server Error',
        detail: 'subscriber store failure',
        cause: 'SYSTEM_FAILURE',
      });
      assert.ok(
        c.logger.lines.some((l) => l.includes('HSS request failed')),
        'the failure is logged',
      );
    });

    it('DESIGN.md 7: no credentials 401 (WWW-Authenticate: Bearer), wrong role 403, nothing done', async () => {
      const km = milenageKeys('auth1');
      const sub = `/admin/v1/subscribers/${imsiOf(40)}`;
      const created = await inject('POST', '/admin/v1/subscribers', {
        imsi: imsiOf(40),
        algorithm: 'milenage',
        k: toHex(km.k),
        opc: toHex(km.opc),
      });
      assert.equal(created.statusCode, 201, created.body);
      const candidate = {
        keyVersion: 2,
        transactionId: 'e1'.repeat(16),
        algorithm: 'milenage',
        k: toHex(km.opc),
        opc: toHex(km.k),
      };
      const routes: [string, string, unknown, string[]][] = [
        ['POST', GEN(imsiOf(40)), { servingNetworkName: SNN }, ['operator', 'provisioner']],
        [
          'POST',
          `/nudm-ueau/v1/imsi-${imsiOf(40)}/security-information/generate-eps-auth-data`,
          { servingNetworkId: { mcc: '001', mnc: '01' } },
          ['operator', 'provisioner'],
        ],
        [
          'POST',
          `/nudm-ueau/v1/imsi-${imsiOf(40)}/auth-events`,
          { success: false, rand: '00'.repeat(16), authType: '5G_AKA', failure: 'MAC_FAILURE' },
          ['operator', 'provisioner'],
        ],
        [
          'POST',
          '/admin/v1/subscribers',
          { imsi: imsiOf(41), algorithm: 'milenage', k: toHex(km.k), opc: toHex(km.opc) },
          ['provisioner', 'core'],
        ],
        ['GET', '/admin/v1/subscribers', undefined, ['core']],
        ['GET', sub, undefined, ['core']],
        ['POST', '/admin/v1/subscribers/lookup', { imsis: [imsiOf(40)] }, ['core']],
        ['PATCH', sub, { amf: '9000' }, ['provisioner', 'core']],
        ['DELETE', sub, undefined, ['provisioner', 'core']],
        ['PUT', `${sub}/candidate`, candidate, ['operator', 'core']],
        ['POST', `${sub}/candidate/commit`, { transactionId: candidate.transactionId }, ['operator', 'core']],
        ['POST', `${sub}/candidate/abort`, { transactionId: candidate.transactionId }, ['operator', 'core']],
        ['GET', `${sub}/audit`, undefined, ['provisioner', 'core']],
      ];
      for (const [method, url, payload, wrongRoles] of routes) {
        const none = await inject(method, url, payload, null);
        assert.equal(none.statusCode, 401, `${method} ${url} without credentials`);
        assert.equal(none.headers['www-authenticate'], 'Bearer realm="ltku"');
        assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.deepEqual(
          [none.json().status, none.json().title, none.json().cause],
          [401, 'Unauthorized', 'UNAUTHENTICATED'],
        );
        for (const role of wrongRoles) {
          const wrong = await inject(method, url, payload, role);
          assert.equal(wrong.statusCode, 403, `${method} ${url} as ${role}`);
          assert.equal(wrong.json().cause, 'ROLE_NOT_ALLOWED');
          assert.equal(wrong.body.includes(auth.token(role)), false);
        }
      }
      // Nothing of the refused calls happened: no new subscriber, no candidate, the subscriber still there.
      const after = await inject('GET', sub);
      assert.equal(after.statusCode, 200);
      assert.deepEqual([after.json().amf, after.json().candidate, after.json().sqn], ['8000', undefined, 0]);
      assert.equal((await inject('GET', `/admin/v1/subscribers/${imsiOf(41)}`)).statusCode, 404);
      assert.deepEqual(
        (await inject('GET', `${sub}/audit`)).json().events.map((e: { event: string }) => e.event),
        ['subscriber-created'],
      );
      // A provisioner reads subscribers (the server checks versions); /openapi.json and /healthz are open.
      assert.equal((await inject('GET', sub, undefined, 'provisioner')).statusCode, 200);
      assert.equal((await inject('GET', '/admin/v1/subscribers', undefined, 'provisioner')).statusCode, 200);
      assert.equal((await inject('GET', '/openapi.json', undefined, null)).statusCode, 200);
      assert.equal((await inject('GET', '/healthz', undefined, null)).statusCode, 200);
    });

    it('DESIGN.md 7: a bad or revoked token is 401 invalid_token; the audit actor is the principal, never a header', async () => {
      const extra = testAuth(`http-extra-${backend.name}`, [
        { name: 'alice', role: 'operator' },
        { name: 'bob', role: 'operator' },
      ]);
      const own = buildHssApp({
        hss: t.hss,
        auc: t.auc,
        logger: t.logger,
        authenticator: extra.authenticator,
      });
      try {
        const km = milenageKeys('auth2');
        const create = await own.inject({
          method: 'POST',
          url: '/admin/v1/subscribers',
          headers: { ...extra.bearer('alice'), 'x-ltku-actor': 'somebody-else' },
          payload: { imsi: imsiOf(42), algorithm: 'milenage', k: toHex(km.k), opc: toHex(km.opc) },
        });
        assert.equal(create.statusCode, 201, create.body);
        const events = (await inject('GET', `/admin/v1/subscribers/${imsiOf(42)}/audit`)).json().events;
        assert.deepEqual(
          events.map((e: { actor: string }) => e.actor),
          ['alice'],
        );
        const get = (headers: Record<string, string>) =>
          own.inject({ method: 'GET', url: `/admin/v1/subscribers/${imsiOf(42)}`, headers });
        assert.equal((await get(extra.bearer('bob'))).statusCode, 200);
        const bobToken = extra.token('bob');
        const forged = bobToken.slice(0, -4) + (bobToken.endsWith('0000') ? '1111' : '0000');
        const renamed = bobToken.replace('.bob.', '.alice.');
        for (const authorization of [
          `Bearer ${forged}`,
          `Bearer ${renamed}`,
          `Bearer ${auth.token('operator')}`,
          `Basic ${Buffer.from(`bob:${bobToken}`).toString('base64')}`,
          'Bearer',
          'Bearer ltku1.bob.zz',
        ]) {
          const r = await get({ authorization });
          assert.equal(r.statusCode, 401, authorization.slice(0, 20));
          assert.equal(r.headers['www-authenticate'], 'Bearer realm="ltku", error="invalid_token"');
          assert.equal(r.body.includes(bobToken.slice(-64)), false, 'the answer never echoes a token');
        }
        extra.revoke('bob');
        const revoked = await get(extra.bearer('bob'));
        assert.equal(revoked.statusCode, 401, 'a revoked token stops working at once');
        assert.equal((await get(extra.bearer('alice'))).statusCode, 200, 'the others still work');
        const logs = t.logger.lines.join('\n');
        for (const name of ['alice', 'operator', 'core'])
          assert.equal(logs.includes(extra.token(name).slice(-64)), false, 'no token in the logs');
      } finally {
        await own.close();
      }
    });

    it('serves an OpenAPI description of every route', async () => {
      const doc = (await inject('GET', '/openapi.json')).json();
      assert.equal(doc.openapi, '3.1.0');
      for (const path of [
        '/nudm-ueau/v1/{supi}/security-information/generate-auth-data',
        '/nudm-ueau/v1/{supi}/security-information/generate-eps-auth-data',
        '/nudm-ueau/v1/{supi}/auth-events',
        '/admin/v1/subscribers',
        '/admin/v1/subscribers/{imsi}',
        '/admin/v1/subscribers/lookup',
        '/admin/v1/subscribers/{imsi}/candidate',
        '/admin/v1/subscribers/{imsi}/candidate/commit',
        '/admin/v1/subscribers/{imsi}/candidate/abort',
        '/admin/v1/subscribers/{imsi}/audit',
      ]) {
        assert.ok(doc.paths[path], path);
      }
      const gen = doc.paths['/nudm-ueau/v1/{supi}/security-information/generate-auth-data'].post;
      assert.ok(gen.requestBody.content['application/json'].schema.properties.servingNetworkName);
    });

    it('issue 11 batch lookup: known IMSIs answered, unknown absent, 400 naming a bad IMSI or the limit', async () => {
      const known = [imsiOf(60), imsiOf(61), imsiOf(62)];
      for (const [i, imsi] of known.entries())
        await client.createSubscriber({ imsi, keys: milenageKeys(`lookup${i}`) });
      const lookup = '/admin/v1/subscribers/lookup';
      const r = await inject('POST', lookup, { imsis: [imsiOf(63), known[2], known[0]] }, 'provisioner');
      assert.equal(r.statusCode, 200, r.body);
      const views = r.json().subscribers as { imsi: string; activeVersion: number }[];
      assert.deepEqual(views.map((v) => v.imsi).sort(), [known[0], known[2]]);
      const single = (await inject('GET', `/admin/v1/subscribers/${known[0]}`)).json();
      assert.deepEqual(
        views.find((v) => v.imsi === known[0]),
        single,
        'each entry has the form of GET /admin/v1/subscribers/{imsi}',
      );
      const bad: [unknown, string, RegExp][] = [
        [{ imsis: [known[0], '12345'] }, 'body.imsis.1', /15 digits/],
        [{ imsis: [] }, 'body.imsis', /at least 1/],
        [
          { imsis: Array.from({ length: 1001 }, (_, i) => imsiOf(100_000 + i)) },
          'body.imsis',
          /at most 1000/,
        ],
        [{ imsis: known, more: 1 }, 'body.more', /unknown field/],
        [{}, 'body.imsis', /missing/],
      ];
      for (const [payload, param, reason] of bad) {
        const refused = await inject('POST', lookup, payload);
        assert.equal(refused.statusCode, 400, param);
        assert.equal(refused.json().invalidParams[0].param, param);
        assert.match(refused.json().invalidParams[0].reason, reason);
      }
      // The client chunks by 1000: 2500 IMSIs are three calls, the known ones answered once each.
      const many = [...Array.from({ length: 2497 }, (_, i) => imsiOf(200_000 + i)), ...known];
      const found = await client.getSubscribers(many);
      assert.deepEqual(found.map((v) => v.imsi).sort(), known);
      assert.equal(found[0].activeVersion, 1);
      assert.deepEqual(await client.getSubscribers([]), []);
    });

    it('HssClient over a socket: typed flow with Uint8Array, errors as HssClientError', async () => {
      const km = milenageKeys('c1');
      const created = await client.createSubscriber({
        imsi: imsiOf(10),
        keys: km,
        iccid: '89882110000000000102',
      });
      assert.equal(created.activeVersion, 1);
      assert.equal(created.activeTransactionId, undefined, 'personalised keys: no transaction made them');
      assert.equal(created.sqn, 0n);
      const r = await client.generateAuthData(`imsi-${imsiOf(10)}`, { servingNetworkName: SNN });
      const av = r.authenticationVector;
      assert.ok(av.rand instanceof Uint8Array);
      assert.deepEqual(usim5g(km, av.rand, av.autn).resStar, av.xresStar);
      const eps = await client.generateEpsAuthData(`imsi-${imsiOf(10)}`, {
        servingNetworkId: { mcc: '001', mnc: '01' },
      });
      assert.deepEqual(
        usimEps(km, eps.authenticationVector.rand, eps.authenticationVector.autn).kasme,
        eps.authenticationVector.kasme,
      );

      const tx = fromHex('c0'.repeat(16));
      const newKeys = tuakKeys('c1b', 16);
      const staged = await client.stageCandidate(imsiOf(10), {
        keyVersion: 2,
        transactionId: tx,
        keys: { algorithm: 'tuak', k: newKeys.k, opc: newKeys.opc },
      });
      assert.deepEqual(staged.candidate?.transactionId, tx);
      await client.reportAuthEvent(`imsi-${imsiOf(10)}`, {
        success: false,
        rand: eps.authenticationVector.rand,
        authType: 'EPS_AKA',
        failure: 'MAC_FAILURE',
      });
      const fallback = await client.generateAuthData(`imsi-${imsiOf(10)}`, { servingNetworkName: SNN });
      assert.equal(
        usim5g(newKeys, fallback.authenticationVector.rand, fallback.authenticationVector.autn).macOk,
        true,
      );
      await client.reportAuthEvent(`imsi-${imsiOf(10)}`, {
        success: true,
        rand: fallback.authenticationVector.rand,
        authType: '5G_AKA',
      });
      const promoted = await client.getSubscriber(imsiOf(10));
      assert.equal(promoted.activeVersion, 2);
      assert.deepEqual(promoted.activeTransactionId, tx, 'the promoted transaction made the active keys');
      assert.equal(promoted.algorithm, 'tuak');
      assert.equal(
        (await client.commitCandidate(imsiOf(10), tx)).activeVersion,
        2,
        'late commit is idempotent',
      );
      const aborted = await client.abortCandidate(imsiOf(10), fromHex('D0'.repeat(16)));
      assert.equal(aborted.activeVersion, 2);
      const audit = await client.audit(imsiOf(10));
      // DESIGN.md 7: the actor is the principal that reported the success (the core), not a header
      assert.ok(audit.some((e) => e.event === 'candidate-promoted' && e.actor === 'core'));
      assert.ok((await client.listSubscribers({ limit: 5 })).some((s) => s.imsi === imsiOf(10)));

      await assert.rejects(
        client.getSubscriber(imsiOf(11)),
        (e: unknown) => e instanceof HssClientError && e.status === 404 && e.cause === 'USER_NOT_FOUND',
      );
      await assert.rejects(
        client.createSubscriber({ imsi: imsiOf(11), keys: { ...km, k: km.k.subarray(1) } }),
        (e: unknown) =>
          e instanceof HssClientError &&
          e.status === 400 &&
          e.invalidParams[0].param === 'body.k' &&
          !e.message.includes(toHex(km.opc)),
      );
      const logs = t.logger.lines.join('\n');
      for (const secret of [km.k, km.opc, newKeys.k, newKeys.opc])
        assert.equal(logs.includes(toHex(secret)), false);
      const dead = new HssClient('http://127.0.0.1:9', { timeoutMs: 2000 });
      await assert.rejects(
        dead.getSubscriber(imsiOf(10)),
        (e: unknown) => e instanceof HssClientError && e.status === 0,
      );
    });

    it('resynchronisation through the API: AUTS from the USIM moves SQN_HE past SQN_MS', async () => {
      const km = milenageKeys('c3');
      await client.createSubscriber({ imsi: imsiOf(21), keys: km });
      const supi = `imsi-${imsiOf(21)}`;
      const first = await client.generateEpsAuthData(supi, { servingNetworkId: { mcc: '001', mnc: '01' } });
      const sqnMs = (77_777n << 5n) | 9n;
      const auts = buildAuts(functionsOf(km), first.authenticationVector.rand, sqnMs);
      const again = await client.generateAuthData(supi, {
        servingNetworkName: SNN,
        resynchronizationInfo: { rand: first.authenticationVector.rand, auts },
      });
      const u = usim5g(km, again.authenticationVector.rand, again.authenticationVector.autn);
      assert.equal(u.macOk, true);
      assert.equal(u.sqn, sqnAfterResync(sqnMs));
      assert.equal((await client.getSubscriber(imsiOf(21))).sqn, u.sqn);
      const bad = await inject('POST', GEN(imsiOf(21)), {
        servingNetworkName: SNN,
        // a challenge not yet answered (an AUTS resolves against the vector of its RAND, once)
        resynchronizationInfo: { rand: toHex(again.authenticationVector.rand), auts: '00'.repeat(22) },
      });
      assert.equal(bad.statusCode, 400, 'an AUTS of the wrong length for Milenage');
      assert.equal(bad.json().invalidParams[0].param, 'body.resynchronizationInfo.auts');
    });

    it('50 parallel generate-auth-data over HTTP for one subscriber: 50 distinct SQNs', async () => {
      const km = milenageKeys('c2');
      await client.createSubscriber({ imsi: imsiOf(20), keys: km });
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          client.generateAuthData(`imsi-${imsiOf(20)}`, { servingNetworkName: SNN }),
        ),
      );
      const sqns = answers.map(
        (a) => usim5g(km, a.authenticationVector.rand, a.authenticationVector.autn).sqn,
      );
      assert.equal(new Set(sqns.map(String)).size, 50);
      const stored = (await client.getSubscriber(imsiOf(20))).sqn;
      assert.equal(
        stored,
        sqns.reduce((a, b) => (a > b ? a : b)),
      );
    });
  });
}

// The whole key update in one process over real sockets: HSS (SQLite), Provisioning Server, UE agent, card.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { children, decodeTlv, tlv, toHex } from '../../src/bytes/index.js';
import { SeededRandom, generateKeyPair, keyCheckValue } from '../../src/crypto/index.js';
import { GetResponseChannel, decodeResponseScript, encodeResponseScript } from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { decodeCertificate, issueGpCertificate } from '../../src/pki/index.js';
import { MemoryCardStore, VirtualCard } from '../../src/card/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { SqliteJobStore, PostgresJobStore, openJobStore } from '../../src/server/index.js';
import { NOW, setup } from '../card/support/fixture.js';
import { assertKeysUntouched, createJob, tempDir, world, type World } from './support/world.js';
import { PG_BASE, pgSkip } from './support/pg.js';

describe('Provisioning Server: whole key update over RAM over HTTP', () => {
  let w: World;
  before(async () => {
    w = await world('flow-1');
  });
  after(() => w.close());

  it('completes a job: card and HSS hold the same new keys, in 4 POSTs', async () => {
    const profile = w.s.image.profiles[0];
    const res = await createJob(w, { iccid: profile.iccid });
    assert.equal(res.status, 201);
    const job = (await res.json()) as { id: string; keyVersion: number; state: string; createdBy: string };
    assert.equal(job.state, 'pending');
    assert.equal(job.keyVersion, 2);
    assert.equal(job.createdBy, 'operator', 'the principal, not a header');
    const staged = await w.hss.getSubscriber(profile.imsi);
    assert.equal(staged.candidate, undefined, 'nothing staged before the card session');

    const report = await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.ok(report.posts <= 4, `${report.posts} POSTs`);
    const end = w.ends[0];
    assert.equal(end.iccid, profile.iccid);
    assert.equal(end.scripts, 3);
    assert.deepEqual(end.outcome, { kind: 'applied', keyVersion: 2, viaStatus: false });
    assert.deepEqual([end.suite?.curve.name, end.suite?.aesKeyLength], ['P-256', 32]);
    const done = (await (await w.admin('GET', `/admin/v1/jobs/${job.id}`)).json()) as {
      state: string;
      history: { state: string }[];
    };
    assert.equal(done.state, 'completed');
    assert.deepEqual(
      done.history.map((h) => h.state),
      ['pending', 'staged', 'sent', 'applied', 'completed'],
    );
    const card = w.s.card.image.profiles[0];
    assert.equal(card.keyVersion, 2);
    assert.notDeepEqual(keyCheckValue(card.keys.k), keyCheckValue(profile.keys.k));
    const view = await w.hss.getSubscriber(profile.imsi);
    assert.equal(view.activeVersion, 2);
    assert.equal(view.candidate, undefined, 'committed: no candidate left');
    // The other profile is untouched.
    assert.equal(w.s.card.image.profiles[1].keyVersion, 1);
    assert.equal((await w.hss.getSubscriber(w.s.image.profiles[1].imsi)).activeVersion, 1);
    // The server logged the job's life but never a key, old or new.
    assert.ok(w.logs.some((l) => l.includes('job-state')));
    assert.ok(w.logs.some((l) => l.includes('ram-script')));
    for (const key of [card.keys.k, card.keys.opc, profile.keys.k, profile.keys.opc]) {
      assert.ok(!w.logs.some((l) => l.toLowerCase().includes(toHex(key))), 'a key in the logs');
    }
    // No more work: the next sync ends at once.
    const idle = await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.equal(idle.posts, 1);
  });

  it('refuses a job for an ICCID not in the inventory, and a malformed body', async () => {
    const unknown = await createJob(w, { iccid: '8949000000000000000' });
    assert.equal(unknown.status, 404);
    const bad = await createJob(w, { iccid: '12' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /iccid/);
  });

  it('cancels a job that has not reached the card, and refuses to cancel a finished one', async () => {
    const profile = w.s.image.profiles[1];
    const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
    const again = await createJob(w, { iccid: profile.iccid });
    assert.equal(again.status, 409, 'one unfinished job per profile');
    const cancel = await w.admin('POST', `/admin/v1/jobs/${job.id}/cancel`);
    assert.equal(cancel.status, 200);
    assert.equal(((await cancel.json()) as { state: string }).state, 'cancelled');
    const twice = await w.admin('POST', `/admin/v1/jobs/${job.id}/cancel`);
    assert.equal(twice.status, 409);
    const idle = await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.equal(idle.posts, 1, 'a cancelled job never reaches the card');
    assert.equal(w.s.card.image.profiles[1].keyVersion, 1);
  });

  it('creates jobs for a list of profiles, listing those it refuses', async () => {
    const r = await w.admin('POST', '/admin/v1/jobs/batch', {
      imsis: [w.s.image.profiles[1].imsi, '001010000000000'],
    });
    assert.equal(r.status, 201);
    const body = (await r.json()) as {
      jobs: { imsi: string }[];
      refused: { imsi: string; status: number }[];
    };
    assert.deepEqual(
      body.jobs.map((j) => j.imsi),
      [w.s.image.profiles[1].imsi],
    );
    assert.deepEqual(
      body.refused.map((j) => [j.imsi, j.status]),
      [['001010000000000', 404]],
    );
    const report = await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.ok(report.posts <= 4);
    assert.equal(w.s.card.image.profiles[1].keyVersion, 2);
    const openapi = (await (await w.admin('GET', '/openapi.json')).json()) as { paths: object };
    assert.ok('/admin/v1/jobs' in openapi.paths);
  });

  it('answers malformed RAM requests with a status naming the problem', async () => {
    const headers = {
      'x-admin-protocol': 'globalplatform-remote-admin/1.0',
      'x-admin-from': `//se-id/eid/${w.s.image.eid}`,
    };
    const job = (await (await createJob(w, { iccid: w.s.image.profiles[0].iccid })).json()) as { id: string };
    const first = await fetch(w.server.ramUrl, { method: 'POST', headers });
    assert.equal(first.status, 200);
    const next = new URL(first.headers.get('x-admin-next-uri') ?? '', w.server.ramUrl).toString();
    const typed = {
      ...headers,
      'content-type': 'application/vnd.globalplatform.card-content-mgt-response;version=1.0',
    };
    const garbage = await fetch(next, {
      method: 'POST',
      headers: typed,
      body: Uint8Array.of(0xaf, 0x80, 0x23),
    });
    assert.equal(garbage.status, 400);
    assert.match(await garbage.text(), /response script/);
    const wrongType = await fetch(next, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.equal(wrongType.status, 415);
    const unknown = await fetch(`${w.server.ramUrl}/sessions/nope`, {
      method: 'POST',
      headers: typed,
      body: Uint8Array.of(0),
    });
    assert.equal(unknown.status, 404);
    // The job is untouched and completes in a proper session.
    assert.equal((await w.server.jobs.get(job.id)).state, 'pending');
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
  });

  it('takes operator keys only through the audited import, after checking them against the card policy', async () => {
    const profile = w.s.image.profiles[1];
    const k = new SeededRandom('operator-k').randomBytes(16);
    const opc = new SeededRandom('operator-opc').randomBytes(16);
    // DESIGN.md 7: a plain job draws its keys from the CSPRNG; caller keys are unknown fields there.
    const chosen = await createJob(w, { iccid: profile.iccid, k: toHex(k), opc: toHex(opc) });
    assert.equal(chosen.status, 400);
    assert.match(await chosen.text(), /unknown field/);
    await assert.rejects(
      w.server.jobs.create({ iccid: profile.iccid, keys: { k, opc } } as { iccid: string }, 'operator'),
      /CSPRNG/,
    );
    const importKeys = (body: object) => w.admin('POST', '/admin/v1/jobs/import', body);
    const uniform = await importKeys({ iccid: profile.iccid, k: '11'.repeat(16), opc: toHex(opc) });
    assert.equal(uniform.status, 400);
    const wrongKind = await importKeys({ iccid: profile.iccid, k: toHex(k), topc: toHex(opc) + toHex(opc) });
    assert.equal(wrongKind.status, 400);
    const half = await importKeys({ iccid: profile.iccid, k: toHex(k) });
    assert.equal(half.status, 400);
    const r = await importKeys({ iccid: profile.iccid, k: toHex(k), opc: toHex(opc) });
    assert.equal(r.status, 201);
    const text = await r.text();
    assert.doesNotMatch(text, new RegExp(toHex(k)), 'keys never echoed');
    const job = JSON.parse(text) as { id: string; createdBy: string; history: { detail?: string }[] };
    // The import is recorded with the principal that made it, in the job and in the log (never the keys).
    assert.equal(job.createdBy, 'operator');
    assert.match(job.history[0].detail ?? '', /keys imported by operator/);
    const imported = w.logs.filter((l) => l.includes('"keys-imported"'));
    assert.equal(imported.length, 1);
    assert.match(imported[0], /"actor":"operator"/);
    assert.ok(!w.logs.some((l) => l.includes(toHex(k)) || l.includes(toHex(opc))), 'a key in the logs');
    await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
    const card = w.s.card.image.profiles[1];
    assert.deepEqual(card.keys.k, k);
    assert.deepEqual(card.keys.opc, opc);
  });

  it('refuses a RAM POST without the admin headers', async () => {
    const r = await fetch(w.server.ramUrl, { method: 'POST' });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /X-Admin-Protocol/);
  });
});

describe('Provisioning Server: negative paths', () => {
  it('a revoked card certificate counts an attempt; the job stays pending, the subscriber untouched', async () => {
    const s0 = setup('flow-2');
    const serials = s0.image.keySets.map((k) => decodeCertificate(k.certificates[0]).serial);
    const w = await world('flow-2', { session: { revokedCardSerials: serials } });
    try {
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { imsi: profile.imsi })).json()) as { id: string };
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      // DESIGN.md 7: nothing before the card authenticated decides the job.
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      assert.match(view.lastAttemptError ?? '', /certificate/);
      await assertKeysUntouched(w, w.s.card.image.profiles[0].keyVersion, profile.imsi);
    } finally {
      await w.close();
    }
  });

  it('a server certificate from a CA the card does not trust counts an attempt; the keys stay', async () => {
    const rng = new SeededRandom('rogue-ca-kloc');
    const curve = setup('flow-7').pki.oce.curve;
    const rogueCa = generateKeyPair(curve, rng);
    const oce = generateKeyPair(curve, rng);
    const certificate = issueGpCertificate({
      issuer: rogueCa,
      serial: Uint8Array.of(0x42),
      keyUsage: 'keyAgreement',
      notBefore: new Date(NOW.getTime() - 86_400_000),
      notAfter: new Date(NOW.getTime() + 86_400_000),
      subjectPublicKey: oce.publicKey,
      curve,
    });
    const w = await world('flow-7', { session: { oce: [{ keyPair: oce, certificates: [certificate] }] } });
    try {
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel }).catch(
        () => undefined,
      );
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      // The server sees from FF33 that no CA-KLOC on the card issued its chain, and sends nothing more.
      assert.match(view.lastAttemptError ?? '', /CA-KLOC/, view.lastAttemptError);
      await assertKeysUntouched(w, w.s.card.image.profiles[0].keyVersion, profile.imsi);
    } finally {
      await w.close();
    }
  });

  it('a server certificate the card has revoked: the card refuses PSO, an attempt counts, the keys stay', async () => {
    const w = await world('flow-8');
    try {
      const serial = decodeCertificate(w.s.pki.oceCertificate).serial;
      const card = new VirtualCard(
        { ...w.s.image, denyList: [serial] },
        { store: new MemoryCardStore(), clock: new FixedClock(NOW), rng: new SeededRandom('flow-8-card') },
      );
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
      await runRamSession({
        url: w.server.ramUrl,
        eid: w.s.image.eid,
        channel: new GetResponseChannel(card),
      }).catch(() => undefined);
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      assert.match(view.lastAttemptError ?? '', /6982/, view.lastAttemptError);
      await assertKeysUntouched(w, card.image.profiles[0].keyVersion, profile.imsi);
    } finally {
      await w.close();
    }
  });

  it('an EID that is not the card certificate counts an attempt; the job stays pending', async () => {
    const w = await world('flow-3');
    try {
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
      // The inventory says this EID holds the profile; the card's certificate names another.
      w.server.inventory.add([
        {
          eid: '89049032123451234512345678901234',
          iccid: profile.iccid,
          imsi: profile.imsi,
          algorithm: 'milenage',
        },
      ]);
      await runRamSession({
        url: w.server.ramUrl,
        eid: '89049032123451234512345678901234',
        channel: w.s.channel,
      });
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'pending');
      assert.equal(view.attempts, 1);
      assert.match(view.lastAttemptError ?? '', /EID/);
      await assertKeysUntouched(w, w.s.card.image.profiles[0].keyVersion, profile.imsi);
    } finally {
      await w.close();
    }
  });

  it('a connection dropped after BF70 resumes with BF72 and completes', async () => {
    const w = await world('flow-4');
    try {
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
      let posts = 0;
      const dropping: typeof fetch = async (input, init) => {
        posts++;
        // POST 4 carries BF71: the card applied the keys, the server never hears it.
        if (posts === 4) throw new TypeError('connection reset');
        return fetch(input, init);
      };
      const report = await runRamSession({
        url: w.server.ramUrl,
        eid: w.s.image.eid,
        channel: w.s.channel,
        fetch: dropping,
      });
      assert.equal(report.resumes, 1);
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'completed');
      assert.ok(
        view.history.some((h) => /BF73/.test(h.detail ?? '')),
        JSON.stringify(view.history),
      );
      assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
    } finally {
      await w.close();
    }
  });
});

describe('Provisioning Server: killed mid-job', () => {
  it('a restarted server resumes the job from its database with BF72', async () => {
    const dir = tempDir('ltku-server-db-');
    const db = join(dir, 'server.sqlite');
    const w = await world('flow-8', { store: new SqliteJobStore(db) });
    try {
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
      let posts = 0;
      const dying: typeof fetch = async (input, init) => {
        if (++posts === 4) throw new TypeError('server gone');
        return fetch(input, init);
      };
      await assert.rejects(
        runRamSession({
          url: w.server.ramUrl,
          eid: w.s.image.eid,
          channel: w.s.channel,
          fetch: dying,
          maxResumes: 0,
        }),
        /unreachable/,
      );
      assert.equal((await w.server.jobs.get(job.id)).state, 'sent');
      await w.restart(() => new SqliteJobStore(db));
      const report = await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.ok(report.posts <= 4);
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'completed');
      assert.ok(view.history.some((h) => /BF73/.test(h.detail ?? '')));
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
      assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
    } finally {
      await w.close();
    }
  });
});

describe('Provisioning Server: HSS unreachable at commit', () => {
  it('leaves the job applied, then commits at the next session of the card', async () => {
    let hssDown = false;
    const flaky: typeof fetch = async (input, init) => {
      if (hssDown && String(input).endsWith('/candidate/commit')) throw new TypeError('connect ECONNREFUSED');
      return fetch(input, init);
    };
    const w = await world('flow-6', { hssFetch: flaky });
    try {
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
      hssDown = true;
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.equal((await w.server.jobs.get(job.id)).state, 'applied');
      assert.equal(w.s.card.image.profiles[0].keyVersion, 2);
      const staged = await w.hss.getSubscriber(profile.imsi);
      assert.equal(staged.activeVersion, 1);
      assert.equal(staged.candidate?.version, 2);
      hssDown = false;
      const idle = await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel });
      assert.equal(idle.posts, 1);
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
      assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
    } finally {
      await w.close();
    }
  });
});

describe('Provisioning Server: security alarm', () => {
  it('an on-path edit of BF30 makes the card answer 06: job failed, alarm counted, candidate aborted', async () => {
    const w = await world('flow-5');
    try {
      const profile = w.s.image.profiles[0];
      const job = (await (await createJob(w, { iccid: profile.iccid })).json()) as { id: string };
      let posts = 0;
      // The relay rewrites the card's BF30 answer (R-APDU 3 of the first response script) to hide AES-256.
      const relay: typeof fetch = async (input, init) => {
        posts++;
        if (posts === 2 && init?.body instanceof Uint8Array) {
          const script = decodeResponseScript(init.body);
          const bf30 = script.responses[2];
          const edited = decodeTlv(bf30.data);
          const rebuilt = tlv(
            edited.tag,
            ...children(edited).map((c) =>
              c.tag === 0x81
                ? tlv(
                    0x81,
                    c.value.filter((n) => n !== 32),
                  )
                : c.raw,
            ),
          );
          script.responses[2] = { data: rebuilt, sw: bf30.sw };
          return fetch(input, { ...init, body: encodeResponseScript(script.responses) });
        }
        return fetch(input, init);
      };
      await runRamSession({ url: w.server.ramUrl, eid: w.s.image.eid, channel: w.s.channel, fetch: relay });
      const view = await w.server.jobs.get(job.id);
      assert.equal(view.state, 'failed');
      assert.equal(view.securityAlarm, true);
      assert.match(view.error ?? '', /06/);
      assert.equal(w.server.jobs.securityAlarms, 1);
      await assertKeysUntouched(w, w.s.card.image.profiles[0].keyVersion, profile.imsi);
    } finally {
      await w.close();
    }
  });
});

describe('Provisioning Server on PostgreSQL', { skip: pgSkip }, () => {
  it('completes a job whose first session dropped after BF70', async () => {
    const url = `${PG_BASE}?schema=server_test_${process.pid}_${Date.now()}`;
    const store = await openJobStore(url);
    const w = await world('flow-pg', { store });
    try {
      const profile = w.s.image.profiles[1];
      const job = (await (await createJob(w, { imsi: profile.imsi })).json()) as { id: string };
      let posts = 0;
      const dropping: typeof fetch = async (input, init) => {
        if (++posts === 4) throw new TypeError('connection reset');
        return fetch(input, init);
      };
      const report = await runRamSession({
        url: w.server.ramUrl,
        eid: w.s.image.eid,
        channel: w.s.channel,
        fetch: dropping,
      });
      assert.equal(report.resumes, 1);
      assert.equal((await w.server.jobs.get(job.id)).state, 'completed');
      assert.equal(w.s.card.image.profiles[1].keyVersion, 2);
      assert.equal((await w.hss.getSubscriber(profile.imsi)).activeVersion, 2);
    } finally {
      await w.close();
      const cleanup = new PostgresJobStore(url);
      await cleanup.dropSchema();
      await cleanup.close();
    }
  });
});

describe('Provisioning Server: push through the core', () => {
  it('pushes a new job to the UE of its IMSI', async () => {
    const pushes: { path: string; body: { type: string; url: string } }[] = [];
    const core = createHttpServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        pushes.push({ path: req.url ?? '', body: JSON.parse(text) as { type: string; url: string } });
        res.statusCode = 202;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => core.listen(0, '127.0.0.1', r));
    const coreUrl = `http://127.0.0.1:${(core.address() as AddressInfo).port}`;
    const w = await world('flow-7', { coreUrl });
    try {
      const profile = w.s.image.profiles[0];
      assert.equal((await createJob(w, { iccid: profile.iccid })).status, 201);
      assert.deepEqual(pushes, [
        {
          path: `/core/v1/ues/${profile.imsi}/push`,
          body: { type: 'key-update-pending', url: w.server.ramUrl },
        },
      ]);
    } finally {
      await w.close();
      await new Promise((r) => core.close(r));
    }
  });
});

// Issue 13: card-management jobs pushed to a real virtual card through the RAM endpoint and SCP11a. A CA-KLOC
// rotation ends with exactly the new CA-KLOC key whatever is lost or crashes on the way (the next session reads
// FF33 under R-MAC and does only what is missing); afterwards the old CA's OCE certificate is refused; a deny
// list publication makes the card refuse the revoked OCE (6982); nobody but the authenticated card moves a job.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, generateKeyPair, P256 } from '../../src/crypto/index.js';
import { StatusWordError, encodeResponseScript, decodeCommandScript } from '../../src/iso7816/index.js';
import { openScp11 } from '../../src/gp/scp11/index.js';
import { INS_DELETE, INS_PUT_KEY } from '../../src/gp/constants.js';
import { WRITE_POINTS } from '../../src/card/index.js';
import { issueOce, selectIsd } from '../card/support/fixture.js';
import { RAM_HEADERS, RESPONSE_SCRIPT_TYPE } from './support/world.js';
import { PG_BASE, pgSkip } from './support/pg.js';
import { SqliteCardJobStore, openCardJobStore, type PostgresCardJobStore } from '../../src/server/index.js';
import {
  NEW_KVN,
  NEW_OCE_SERIAL,
  OLD_KVN,
  cardJob,
  cardRig,
  newCardJob,
  rotationOrder,
  type CardRig,
} from './card-management-world.js';

const rigs: CardRig[] = [];
after(() => Promise.all(rigs.map((r) => r.close())));
async function rig(seed: string): Promise<CardRig> {
  const r = await cardRig(seed);
  rigs.push(r);
  return r;
}

/** SCP11a straight to the card with one OCE credential (as any OCE would), or the status word refusing it. */
async function openWith(
  r: CardRig,
  oce: { keyPair: ReturnType<typeof generateKeyPair>; certificate: Uint8Array },
  caKvn: number,
) {
  await selectIsd(r.channel);
  const keySet = r.card.image.keySets.find((k) => k.kid === 0x11)!;
  try {
    return await openScp11(
      r.channel,
      {
        variant: 'a',
        kvn: keySet.kvn,
        curve: keySet.keyPair.curve,
        aesKeyLength: 16,
        pkSdEcka: keySet.keyPair.publicKey,
        skOceEcka: oce.keyPair,
        oceCertificates: [oce.certificate],
        caKlocReference: { kid: 0x10, kvn: caKvn },
      },
      new SeededRandom('direct'),
    );
  } catch (e) {
    if (e instanceof StatusWordError) return e.sw;
    throw e;
  }
}

describe('card management: CA-KLOC rotation through the RAM endpoint (issue 13)', () => {
  it('installs the new CA-KLOC key, deletes the old one, and the old CA OCE is refused afterwards', async () => {
    const r = await rig('cm-rotate');
    const job = await newCardJob(r, rotationOrder(r));
    assert.equal(job.state, 'pending');
    const report = await r.session();
    assert.ok(!(report instanceof Error), String(report));
    assert.equal(report.job?.id, job.id);
    assert.equal(report.job?.state, 'completed');
    const done = await cardJob(r, job.id);
    assert.deepEqual(
      done.history.map((h) => h.state),
      ['pending', 'installing', 'installed', 'deleting', 'completed'],
    );
    assert.deepEqual(r.caKlocOnFile(), [NEW_KVN], 'exactly one trusted CA-KLOC: the new one');
    // the old generation's OCE is refused at PSO; the new one opens SCP11a
    const old = await openWith(r, { keyPair: r.s.pki.oce, certificate: r.s.pki.oceCertificate }, OLD_KVN);
    assert.equal(typeof old, 'number', 'the old CA OCE certificate is refused');
    const fresh = await openWith(
      r,
      { keyPair: r.newOce.keyPair, certificate: r.newOce.certificates[0] },
      NEW_KVN,
    );
    assert.notEqual(typeof fresh, 'number', 'the new CA OCE certificate is accepted');
    // the server now presents the new generation (FF33 lists only it): another job runs
    const next = await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['7f'] });
    const again = await r.session();
    assert.ok(!(again instanceof Error), String(again));
    assert.equal((await cardJob(r, next.id)).state, 'completed');
    // nothing left: 204 at once
    const idle = await r.session();
    assert.ok(!(idle instanceof Error));
    assert.equal(idle.job, undefined);
    assert.equal(idle.posts, 1);
  });

  for (const [label, ins, stateAfter] of [
    ['PUT KEY', INS_PUT_KEY, 'installing'],
    ['DELETE', INS_DELETE, 'deleting'],
  ] as const) {
    it(`the answer to ${label} is lost: the next session reads FF33 and finishes without repeating it`, async () => {
      const r = await rig(`cm-lost-${label}`);
      const job = await newCardJob(r, rotationOrder(r));
      r.channel.dropAfter = ins;
      assert.ok((await r.session()) instanceof Error, 'the UE lost the answer');
      assert.equal((await cardJob(r, job.id)).state, stateAfter, 'the job waits where it was');
      assert.deepEqual(r.caKlocOnFile(), ins === INS_PUT_KEY ? [OLD_KVN, NEW_KVN] : [NEW_KVN]);
      const report = await r.session();
      assert.ok(!(report instanceof Error), String(report));
      const done = await cardJob(r, job.id);
      assert.equal(done.state, 'completed');
      assert.deepEqual(r.caKlocOnFile(), [NEW_KVN]);
      const puts = done.history.filter((h) => h.detail?.startsWith('PUT KEY CA-KLOC') === true).length;
      assert.equal(puts, 1, 'PUT KEY was sent once');
      assert.equal(done.attempts, 0, 'a lost answer after authentication is no failed attempt');
    });
  }

  for (const write of ['PUT KEY', 'DELETE'] as const) {
    for (const point of WRITE_POINTS) {
      it(`the card crashes at ${point} of the ${write} write: restarted from its file, the job completes`, async () => {
        const r = await rig(`cm-crash-${write}-${point}`);
        const job = await newCardJob(r, rotationOrder(r));
        if (write === 'DELETE') {
          // a first session stops once PUT KEY took effect (its answer lost); the next one crashes at DELETE
          r.channel.dropAfter = INS_PUT_KEY;
          assert.ok((await r.session()) instanceof Error);
          assert.deepEqual(r.caKlocOnFile(), [OLD_KVN, NEW_KVN]);
        }
        r.crashAt(point);
        assert.ok((await r.session()) instanceof Error, 'the card died');
        const onFile = r.caKlocOnFile();
        assert.ok(onFile.length >= 1, 'never without a CA-KLOC');
        assert.ok(
          write === 'PUT KEY'
            ? [[OLD_KVN], [OLD_KVN, NEW_KVN]].some((x) => JSON.stringify(x) === JSON.stringify(onFile))
            : [[OLD_KVN, NEW_KVN], [NEW_KVN]].some((x) => JSON.stringify(x) === JSON.stringify(onFile)),
          `${onFile}`,
        );
        r.restart();
        const report = await r.session();
        assert.ok(!(report instanceof Error), String(report));
        assert.equal((await cardJob(r, job.id)).state, 'completed');
        assert.deepEqual(r.caKlocOnFile(), [NEW_KVN]);
        assert.deepEqual(
          r.card.image.caKloc.map((c) => c.kvn),
          [NEW_KVN],
        );
      });
    }
  }

  for (const state of ['installing', 'installed', 'deleting'] as const) {
    it(`the server stopped right after writing ${state}, before the command went out: the next session completes`, async () => {
      const store = new SqliteCardJobStore(':memory:');
      const r = await cardRig(`cm-server-stop-${state}`, { cardJobStore: store });
      rigs.push(r);
      const job = await newCardJob(r, rotationOrder(r));
      const record = (await store.get(job.id))!;
      assert.ok(await store.update({ ...record, state, revision: record.revision + 1 }, record.revision));
      const report = await r.session();
      assert.ok(!(report instanceof Error), String(report));
      assert.equal((await cardJob(r, job.id)).state, 'completed');
      assert.deepEqual(r.caKlocOnFile(), [NEW_KVN]);
    });
  }

  it('runs the same rotation with the jobs in PostgreSQL', { skip: pgSkip }, async () => {
    const store = (await openCardJobStore(
      `${PG_BASE}?schema=card_mgmt_${process.pid}`,
    )) as PostgresCardJobStore;
    const r = await cardRig('cm-rotate-pg', { cardJobStore: store });
    try {
      const job = await newCardJob(r, rotationOrder(r));
      r.channel.dropAfter = INS_PUT_KEY;
      assert.ok((await r.session()) instanceof Error);
      assert.ok(!((await r.session()) instanceof Error));
      assert.equal((await cardJob(r, job.id)).state, 'completed');
      assert.deepEqual(r.caKlocOnFile(), [NEW_KVN]);
    } finally {
      await store.dropSchema();
      await r.close();
    }
  });

  it('a rotation to a CA-KLOC no server OCE credential chains to is refused (400): no job, the card keeps its CA-KLOC', async () => {
    const r = await rig('cm-foreign-kloc');
    const other = generateKeyPair(P256, new SeededRandom('foreign-kloc'));
    const refused = await r.admin('POST', '/admin/v1/card-jobs', {
      eids: [r.eid],
      order: { ...rotationOrder(r), publicKey: Buffer.from(other.publicKey).toString('hex') },
    });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /no OCE credential this server holds/);
    const listed = (await (await r.admin('GET', '/admin/v1/card-jobs')).json()) as { jobs: unknown[] };
    assert.equal(listed.jobs.length, 0);
    await r.session();
    assert.deepEqual(r.caKlocOnFile(), [OLD_KVN]);
  });

  it('a KVN already holding another CA key fails the job on the authenticated FF33, and nothing is deleted', async () => {
    const r = await rig('cm-squatter');
    // the new generation's key (the server holds its OCE) at the KVN the old key occupies
    const job = await newCardJob(r, { ...rotationOrder(r), kvn: OLD_KVN });
    const report = await r.session();
    assert.ok(!(report instanceof Error), String(report));
    const failed = await cardJob(r, job.id);
    assert.equal(failed.state, 'failed');
    assert.match(failed.history.at(-1)?.detail ?? '', /KVN 1 holds another CA-KLOC key/);
    assert.deepEqual(r.caKlocOnFile(), [OLD_KVN]);
  });
});

describe('card management: deny list and allowlist publication (issue 13)', () => {
  it('a published deny list makes the card refuse the revoked OCE (6982); the server keeps working', async () => {
    const r = await rig('cm-deny');
    // a second OCE of the old CA, e.g. one a compromised issuer minted
    const rogue = generateKeyPair(P256, new SeededRandom('rogue'));
    const rogueCert = issueOce(r.s.pki.kloc, rogue, Uint8Array.of(0x66), 'x509');
    const before = await openWith(r, { keyPair: rogue, certificate: rogueCert }, OLD_KVN);
    assert.notEqual(typeof before, 'number', 'accepted before the publication');
    const job = await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['66'] });
    const report = await r.session();
    assert.ok(!(report instanceof Error), String(report));
    assert.equal((await cardJob(r, job.id)).state, 'completed');
    assert.equal(await openWith(r, { keyPair: rogue, certificate: rogueCert }, OLD_KVN), 0x6982);
    assert.deepEqual(
      r.card.image.denyList.map((s) => Buffer.from(s).toString('hex')),
      ['66'],
    );
  });

  it('a newer publication for the same card merges into the open job; revoking every server OCE is refused', async () => {
    const r = await rig('cm-merge');
    const first = await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['66'] });
    const second = await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['67'] });
    assert.equal(second.id, first.id);
    assert.equal(second.generation, 1);
    assert.deepEqual(second.payload.serials, ['66', '67']);
    const lockout = await r.admin('POST', '/admin/v1/card-jobs', {
      eids: [r.eid],
      order: { kind: 'deny-list', mode: 'add', serials: ['01', NEW_OCE_SERIAL.toString(16)] },
    });
    assert.equal(lockout.status, 400);
    assert.match(await lockout.text(), /every OCE credential/);
    await r.session();
    assert.deepEqual(
      r.card.image.denyList.map((s) => Buffer.from(s).toString('hex')),
      ['66', '67'],
    );
  });

  it('a deny-list addition that would merge into an open job revoking every server OCE is refused; the open job keeps its list', async () => {
    const r = await rig('cm-merge-lockout');
    // each order alone leaves the server a credential: the old generation's OCE (01), the new one's (NEW_OCE_SERIAL)
    const first = await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['01'] });
    const second = await r.admin('POST', '/admin/v1/card-jobs', {
      eids: [r.eid],
      order: { kind: 'deny-list', mode: 'add', serials: [NEW_OCE_SERIAL.toString(16)] },
    });
    const body = (await second.json()) as { created: number; refused: { detail: string }[] };
    assert.equal(second.status, 409, JSON.stringify(body));
    assert.equal(body.created, 0);
    assert.match(body.refused[0]?.detail ?? '', /every OCE credential/);
    const open = await cardJob(r, first.id);
    assert.deepEqual([open.generation, open.payload.serials], [0, ['01']]);
  });

  it('an error status word (it carries no R-MAC) decides nothing: the job stays, an attempt counts', async () => {
    const r = await rig('cm-error-sw');
    assert.equal(
      r.card.image.keySets.some((k) => k.kid === 0x15),
      false,
      'the card has no SCP11c key set',
    );
    const job = await newCardJob(r, { kind: 'oce-allowlist', kid: 0x15, kvn: 1, serials: ['01'] });
    const report = await r.session();
    assert.ok(!(report instanceof Error), String(report));
    const after = await cardJob(r, job.id);
    assert.equal(after.state, 'sent', 'not failed on an unauthenticated 6A88');
    assert.equal(after.attempts, 1);
    assert.match(after.lastAttemptError ?? '', /6a88/i);
  });

  it('replaces the OCE allowlist of a key set', async () => {
    const r = await rig('cm-allow');
    const job = await newCardJob(r, { kind: 'oce-allowlist', kid: 0x11, kvn: 1, serials: ['01', '50'] });
    const report = await r.session();
    assert.ok(!(report instanceof Error), String(report));
    assert.equal((await cardJob(r, job.id)).state, 'completed');
    const keySet = r.card.image.keySets.find((k) => k.kid === 0x11 && k.kvn === 1)!;
    assert.deepEqual(
      keySet.oceAllowlist?.map((s) => Buffer.from(s).toString('hex')),
      ['01', '50'],
    );
  });
});

describe('card management: who may move a job (DESIGN.md 7)', () => {
  it('an unauthenticated session cannot end or fail a job: it counts an attempt and backs off', async () => {
    const r = await rig('cm-unauth');
    const job = await newCardJob(r, rotationOrder(r));
    const post = (url: string, body?: Uint8Array) =>
      fetch(url, {
        method: 'POST',
        headers: {
          ...RAM_HEADERS,
          'x-admin-from': `//se-id/eid/${r.eid}`,
          ...(body === undefined ? {} : { 'content-type': RESPONSE_SCRIPT_TYPE }),
        },
        ...(body === undefined ? {} : { body }),
      });
    const opened = await post(r.server.ramUrl);
    assert.equal(opened.status, 200);
    const next = new URL(opened.headers.get('x-admin-next-uri')!, r.server.ramUrl).toString();
    // forged: every command "succeeded" with no data
    const n = decodeCommandScript(new Uint8Array(await opened.arrayBuffer())).length;
    const forged = encodeResponseScript(
      Array.from({ length: n }, () => ({ data: new Uint8Array(0), sw: 0x9000 })),
    );
    const answer = await post(next, forged);
    assert.equal(answer.status, 204);
    const after = await cardJob(r, job.id);
    assert.equal(after.state, 'pending', 'the job stays');
    assert.equal(after.attempts, 1);
    assert.ok(after.nextAttemptAt !== undefined, 'backing off');
    assert.deepEqual(r.caKlocOnFile(), [OLD_KVN]);
    // backing off: a new session gets nothing until the clock passes nextAttemptAt
    const idle = await r.session();
    assert.ok(!(idle instanceof Error));
    assert.equal(idle.job, undefined);
    r.clock.advance(60_000);
    const report = await r.session();
    assert.ok(!(report instanceof Error), String(report));
    assert.equal((await cardJob(r, job.id)).state, 'completed');
  });

  it('a replayed response script of an earlier session does nothing', async () => {
    const r = await rig('cm-replay');
    await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['66'] });
    const bodies: Uint8Array[] = [];
    const recording: typeof fetch = async (url, init) => {
      if (init?.body instanceof Uint8Array) bodies.push(init.body.slice());
      return fetch(url, init);
    };
    const { runRamSession } = await import('../../src/ue/ram-agent.js');
    await runRamSession({ url: r.server.ramUrl, eid: r.eid, channel: r.channel, fetch: recording });
    assert.ok(bodies.length >= 3);
    const job = await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['77'] });
    // the replay: open, then send the recorded response scripts in order
    const headers = { ...RAM_HEADERS, 'x-admin-from': `//se-id/eid/${r.eid}` };
    const opened = await fetch(r.server.ramUrl, { method: 'POST', headers });
    let next = new URL(opened.headers.get('x-admin-next-uri')!, r.server.ramUrl).toString();
    for (const body of bodies) {
      const answer = await fetch(next, {
        method: 'POST',
        headers: { ...headers, 'content-type': RESPONSE_SCRIPT_TYPE },
        body,
      });
      await answer.arrayBuffer();
      if (answer.status !== 200) break;
      next = new URL(answer.headers.get('x-admin-next-uri')!, r.server.ramUrl).toString();
    }
    const after = await cardJob(r, job.id);
    assert.equal(after.state, 'pending');
    assert.equal(after.attempts, 1, 'the replay failed before the card authenticated');
    assert.deepEqual(
      r.card.image.denyList.map((s) => Buffer.from(s).toString('hex')),
      ['66'],
    );
  });

  it('key update first: a card with both kinds of work gets the key update, then the card-management job', async () => {
    const r = await cardRig('cm-order', { hss: true });
    rigs.push(r);
    const card = await newCardJob(r, { kind: 'deny-list', mode: 'add', serials: ['66'] });
    const created = await r.admin('POST', '/admin/v1/jobs', { iccid: r.s.image.profiles[0].iccid });
    assert.equal(created.status, 201, await created.clone().text());
    const keyJob = (await created.json()) as { id: string };
    const first = await r.session();
    assert.ok(!(first instanceof Error), String(first));
    assert.deepEqual([first.job?.id, first.job?.state], [keyJob.id, 'completed']);
    assert.equal((await cardJob(r, card.id)).state, 'pending', 'not touched by the key-update session');
    const second = await r.session();
    assert.ok(!(second instanceof Error), String(second));
    assert.deepEqual([second.job?.id, second.job?.state], [card.id, 'completed']);
    assert.equal(r.card.image.profiles[0].keyVersion, 2);
  });

  it('operator routes: counts by state, cancel while pending, 401 without credentials, batch with refusals', async () => {
    const r = await rig('cm-admin');
    const batch = await r.admin('POST', '/admin/v1/card-jobs', {
      eids: [r.eid, '8'.repeat(32)],
      order: { kind: 'deny-list', mode: 'add', serials: ['66'] },
      batch: 'revoke-66',
    });
    assert.equal(batch.status, 201);
    const body = (await batch.json()) as {
      jobs: { id: string }[];
      refused: { eid: string; status: number }[];
    };
    assert.equal(body.jobs.length, 1);
    assert.deepEqual(
      body.refused.map((x) => [x.eid, x.status]),
      [['8'.repeat(32), 404]],
    );
    const counts = (await (await r.admin('GET', '/admin/v1/card-jobs/counts?batch=revoke-66')).json()) as {
      counts: Record<string, Record<string, number>>;
    };
    assert.equal(counts.counts['deny-list'].pending, 1);
    assert.equal(counts.counts['ca-kloc-rotation'].pending, 0);
    const cancelled = await r.admin('POST', `/admin/v1/card-jobs/${body.jobs[0].id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(((await cancelled.json()) as { state: string }).state, 'cancelled');
    const anonymous = await fetch(`${r.server.adminUrl}/admin/v1/card-jobs`);
    assert.equal(anonymous.status, 401);
    const spec = (await (await r.admin('GET', '/openapi.json')).json()) as { paths: Record<string, unknown> };
    assert.ok('/admin/v1/card-jobs' in spec.paths);
  });
});

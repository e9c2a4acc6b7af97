// DESIGN.md 6 invariants under random interleavings (seeded; fast-check prints the seed and the failing
// interleaving). Real parts: the virtual card (USIM AUTHENTICATE with its SQN array; BF70 applied atomically inside
// a real SCP11a session), the HSS (Hss + AuC on a SQLite file, closed and reopened for an HSS crash), the core's
// AMF/AUSF (AttachService, one extra challenge after a MAC failure). The Provisioning Server is modelled by its
// durable job state and its rules (stage before BF70, `sent` recorded before BF70 leaves, commit only on a verified
// BF71/BF73, resume by BF72, cancel only before BF70, reconcile orphans); every message to or from it may be lost,
// and it may crash between any two steps. Attackers: clones holding any earlier key set of the card, attach
// floods, lost auth reports. Invariants:
//   (a) after a commit or promotion, no authentication with older keys succeeds;
//   (b) after recovery the real card attaches;
//   (c) after recovery the HSS's active keys are the card's;
//   (d) key versions only increase (HSS active and card).
// LTKU_MODEL_RUNS (default 1000) and LTKU_MODEL_SEED tune it; `npm run soak` runs many more.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { equalBytes } from '../../src/bytes/index.js';
import { SeededRandom, type RandomSource } from '../../src/crypto/index.js';
import { kausf, kseaf, resStar } from '../../src/aka/index.js';
import { AttachService, type AuthDataSource } from '../../src/core/index.js';
import { ConflictError, type KeyMaterial } from '../../src/hss/index.js';
import { openStore, type SubscriberStore } from '../../src/hss/store/index.js';
import { GetResponseChannel, SW_OK } from '../../src/iso7816/index.js';
import { FixedClock, silentLogger } from '../../src/ports/index.js';
import { authenticate, selectUsim } from '../../src/ue/index.js';
import {
  decodeKeyStatus,
  decodeKeyUpdateResult,
  encodeKeyStatusRequest,
  OUTCOME_APPLIED,
} from '../../src/gp/key-update/index.js';
import { MemoryCardStore, VirtualCard, iccidBytes, type CardImage } from '../../src/card/index.js';
import {
  NOW,
  openSession,
  readDigest,
  request,
  selectIsd,
  setup,
  storeData,
  type Setup,
} from '../card/support/fixture.js';
import { backends } from '../hss/backends.js';
import { makeHss } from '../hss/fixture.js';

const RUNS = Number(process.env.LTKU_MODEL_RUNS ?? 1000);
const SEED = process.env.LTKU_MODEL_SEED === undefined ? undefined : Number(process.env.LTKU_MODEL_SEED);
const SNN = '5G:mnc001.mcc001.3gppnetwork.org';
const MAX_ROUNDS = 3;

type Op =
  | { op: 'create' }
  | { op: 'stage'; loseAnswer: boolean }
  | { op: 'send'; deliver: boolean; cardCrash: boolean; loseBf71: boolean }
  | { op: 'resume'; loseAnswer: boolean }
  | { op: 'commit'; loseAnswer: boolean }
  | { op: 'cancel' }
  | { op: 'reconcile' }
  | { op: 'serverCrash' }
  | { op: 'hssCrash' }
  | { op: 'attach'; clone: number | null; loseReports: boolean }
  | { op: 'flood'; who: (number | null)[]; order: number[]; loseReports: boolean }
  | { op: 'late'; clone: number | null };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ op: 'create' } as Op) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('stage' as const), loseAnswer: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('send' as const),
      deliver: fc.boolean(),
      cardCrash: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
      loseBf71: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('resume' as const), loseAnswer: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('commit' as const), loseAnswer: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'cancel' } as Op) },
  { weight: 1, arbitrary: fc.constant({ op: 'reconcile' } as Op) },
  { weight: 1, arbitrary: fc.constant({ op: 'serverCrash' } as Op) },
  { weight: 1, arbitrary: fc.constant({ op: 'hssCrash' } as Op) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('attach' as const),
      clone: fc.option(fc.nat(4), { nil: null }),
      loseReports: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('late' as const), clone: fc.option(fc.nat(4), { nil: null }) }),
  },
  {
    weight: 1,
    arbitrary: fc.array(fc.option(fc.nat(4), { nil: null }), { minLength: 2, maxLength: 5 }).chain((who) =>
      fc.record({
        op: fc.constant('flood' as const),
        who: fc.constant(who),
        order: fc.shuffledSubarray(
          who.map((_, i) => i),
          { minLength: who.length, maxLength: who.length },
        ),
        loseReports: fc.boolean(),
      }),
    ),
  },
);

/** The server's durable job (what survives its crash). */
interface Job {
  state: 'pending' | 'staged' | 'sent' | 'applied' | 'completed' | 'cancelled';
  readonly version: number;
  readonly tx: Uint8Array;
  readonly keys: KeyMaterial;
}

/** The core's view of the HSS, in-process, with lost result reports as a fault. */
class HssPort implements AuthDataSource {
  loseReports = false;
  constructor(readonly world: { hss: ReturnType<typeof makeHss> }) {}
  async generateAuthData(
    supi: string,
    req: { servingNetworkName: string; resynchronizationInfo?: { rand: Uint8Array; auts: Uint8Array } },
  ) {
    const v = await this.world.hss.auc.generateHeAka(
      supi.slice(5),
      req.servingNetworkName,
      req.resynchronizationInfo,
    );
    return {
      authType: '5G_AKA' as const,
      supi,
      authenticationVector: { avType: '5G_HE_AKA' as const, ...v },
    };
  }
  async reportAuthEvent(supi: string, ev: { success: boolean; rand: Uint8Array; failure?: 'MAC_FAILURE' }) {
    if (this.loseReports) throw new Error('report lost on the way to the HSS');
    await this.world.hss.hss.reportAuthOutcome(
      supi.slice(5),
      { success: ev.success, rand: ev.rand, ...(ev.failure ? { failure: ev.failure } : {}) },
      'ausf',
    );
  }
}

interface Ue {
  readonly card: VirtualCard;
  readonly version: number;
}

for (const backend of backends()) {
  // PostgreSQL runs a tenth of the interleavings (each step is a network round trip), SQLite all of them.
  const runs = backend.name === 'sqlite' ? RUNS : Math.ceil(RUNS / 10);
  describe(
    `DESIGN.md 6 invariants under random interleavings (model test) on ${backend.name}`,
    { skip: backend.skip },
    () => {
      let dbPath: string;
      let template: Setup;
      const world = {} as { store: SubscriberStore; hss: ReturnType<typeof makeHss> };
      let n = 0;

      before(async () => {
        dbPath = backend.newDatabase();
        template = setup('model', { profiles: 1 });
        world.store = await openStore(dbPath);
        world.hss = makeHss(world.store, 'model-hss');
      });
      after(async () => {
        await world.store.close();
        await backend.cleanup();
      });

      async function hssCrash(): Promise<void> {
        await world.store.close();
        world.store = await openStore(dbPath);
        const clock = world.hss.clock;
        world.hss = makeHss(world.store, `model-hss-${n}`);
        world.hss.clock.set(clock.now());
      }

      it(`keeps (a)-(d) over ${runs} interleavings`, async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(opArb, { minLength: 1, maxLength: 24 }),
            fc.integer(),
            async (ops, seed) => {
              await runOne(ops, new SeededRandom(`model-${seed}`));
            },
          ),
          { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
        );
      });

      async function runOne(ops: readonly Op[], rng: RandomSource): Promise<void> {
        n++;
        const imsi = `00101${String(n).padStart(10, '0')}`;
        const base = template.image.profiles[0];
        const keys1: KeyMaterial = {
          algorithm: 'milenage',
          k: rng.randomBytes(16),
          opc: rng.randomBytes(16),
        };
        const image: CardImage = {
          ...template.image,
          profiles: [
            { ...base, imsi, keyVersion: 1, keys: { algorithm: 'milenage', k: keys1.k, opc: keys1.opc } },
          ],
        };
        const iccid = base.iccid;
        await world.hss.hss.create({ imsi, iccid, keys: keys1 }, 'model');
        const cardStore = new MemoryCardStore();
        const real: Ue = {
          card: new VirtualCard(image, { store: cardStore, clock: new FixedClock(NOW), rng }),
          version: 1,
        };
        const clones: Ue[] = [
          {
            card: new VirtualCard(image, { store: new MemoryCardStore(), clock: new FixedClock(NOW), rng }),
            version: 1,
          },
        ];
        const port = new HssPort(world);
        const core = new AttachService({ hss: port, clock: world.hss.clock, rng, logger: silentLogger });
        let job: Job | undefined;
        let maxActive = 1;
        let cardVersion = 1;

        const cardVersionNow = () => real.card.image.profiles[0].keyVersion;
        const hssView = () => world.hss.hss.get(imsi);

        /** (a) and (d) after every step. */
        const check = async (what: string) => {
          const v = await hssView();
          assert.ok((v.activeVersion ?? 0) >= maxActive, `${what}: HSS active version went down`);
          maxActive = v.activeVersion ?? maxActive;
          assert.ok(cardVersionNow() >= cardVersion, `${what}: card version went down`);
          cardVersion = cardVersionNow();
        };

        /** One attach of a UE, to the end (attached or rejected), the UE giving up after MAX_ROUNDS. */
        const attachFrom = async (ue: Ue, first?: Awaited<ReturnType<AttachService['attach']>>) => {
          const channel = new GetResponseChannel(ue.card);
          await selectUsim(channel, iccid);
          let answer = first ?? (await core.attach(imsi, SNN));
          for (let rounds = 0; answer.state === 'challenge'; rounds++) {
            if (rounds >= MAX_ROUNDS) return 'gave-up';
            const r = await authenticate(channel, answer.rand, answer.autn);
            if (r.kind === 'success') {
              const res = resStar(r.ck, r.ik, SNN, answer.rand, r.res);
              kseaf(kausf(r.ck, r.ik, SNN, answer.autn.subarray(0, 6)), SNN);
              answer = await core.respond(answer.attachId, { res });
            } else if (r.kind === 'sync-failure') {
              answer = await core.respond(answer.attachId, { failure: 'SYNCH_FAILURE', auts: r.auts });
            } else {
              answer = await core.respond(answer.attachId, { failure: 'MAC_FAILURE' });
            }
          }
          const attached = answer.state === 'attached';
          // (a): nobody holding keys older than what the HSS has made active ever authenticates.
          if (attached)
            assert.ok(
              ue.version >= maxActive,
              `a UE with key version ${ue.version} attached after version ${maxActive} became active`,
            );
          return answer.state;
        };

        const ueOf = (clone: number | null): Ue => (clone === null ? realUe : clones[clone % clones.length]);
        // The real card's version is whatever it holds when it answers (it may apply an update meanwhile).
        const realUe: Ue = {
          card: real.card,
          get version() {
            return cardVersionNow();
          },
        };

        /** A real SCP11a session with the card: BF70 (or BF72), and the card's answer (none if its write failed). */
        const session = async (what: 'update' | 'status', j: Job, cardCrash = false) => {
          const s = { ...template, card: real.card, channel: new GetResponseChannel(real.card), rng };
          if (what === 'status') {
            const scp = await openSession(s);
            const r = await storeData(scp, encodeKeyStatusRequest(iccidBytes(iccid)));
            assert.equal(r.sw, SW_OK);
            return { status: decodeKeyStatus(r.data) };
          }
          await selectIsd(s.channel);
          const digest = await readDigest(s.channel);
          const scp = await openSession(s);
          const before = real.card.image;
          const bf70 = request(
            scp,
            iccid,
            { k: j.keys.k, opc: j.keys.opc },
            { digest, transactionId: j.tx, keyVersion: j.version },
          );
          cardStore.failNext = cardCrash;
          const r = await storeData(scp, bf70);
          cardStore.failNext = false;
          if (r.sw !== SW_OK) return {};
          const result = decodeKeyUpdateResult(r.data);
          if (result.outcome === OUTCOME_APPLIED && before.profiles[0].keyVersion !== j.version) {
            // The card's keys before this update live on in a clone (the keys presumed leaked).
            const card = new VirtualCard(before, {
              store: new MemoryCardStore(),
              clock: new FixedClock(NOW),
              rng,
            });
            clones.push({ card, version: before.profiles[0].keyVersion });
          }
          return { result };
        };

        const hssCall = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
          try {
            return await call();
          } catch (e) {
            if (e instanceof ConflictError) return undefined;
            throw e;
          }
        };

        /** The server, without faults, drives its open job to the end (stage, send, resume, commit). */
        const finishJob = async () => {
          for (
            let guard = 0;
            guard < 8 && job !== undefined && job.state !== 'completed' && job.state !== 'cancelled';
            guard++
          ) {
            if (job.state === 'pending') {
              const input = { keyVersion: job.version, transactionId: job.tx, keys: job.keys };
              await world.hss.hss.stageCandidate(imsi, input, 'server');
              job.state = 'staged';
            } else if (job.state === 'staged') {
              job.state = 'sent';
              const { result } = await session('update', job);
              if (result?.outcome === OUTCOME_APPLIED && result.keyVersion === job.version)
                job.state = 'applied';
              else if (result !== undefined) {
                // Refused (the card already holds a newer version than this job: impossible with one job at a time).
                assert.fail(`card refused the recovery BF70 with outcome ${result.outcome}`);
              }
            } else if (job.state === 'sent') {
              const { status } = await session('status', job);
              const applied =
                status?.lastTransactionId !== undefined && equalBytes(status.lastTransactionId, job.tx);
              job.state = applied ? 'applied' : 'staged';
            } else if (job.state === 'applied') {
              await world.hss.hss.commitCandidate(imsi, job.tx, 'server');
              job.state = 'completed';
            }
            await check('recovery');
          }
        };

        for (const op of ops) {
          switch (op.op) {
            case 'create': {
              if (job !== undefined && job.state !== 'completed' && job.state !== 'cancelled') break;
              const active = (await hssView()).activeVersion ?? 0;
              if (active >= 255) break;
              const tx = rng.randomBytes(16);
              job = {
                state: 'pending',
                version: active + 1,
                tx,
                keys: { algorithm: 'milenage', k: rng.randomBytes(16), opc: rng.randomBytes(16) },
              };
              break;
            }
            case 'stage':
              if (job?.state !== 'pending') break;
              if (
                await hssCall(() =>
                  world.hss.hss.stageCandidate(
                    imsi,
                    { keyVersion: job!.version, transactionId: job!.tx, keys: job!.keys },
                    'server',
                  ),
                )
              ) {
                if (!op.loseAnswer) job.state = 'staged';
              }
              break;
            case 'send': {
              if (job?.state !== 'staged') break;
              job.state = 'sent'; // recorded before BF70 leaves
              if (!op.deliver) break;
              const { result } = await session('update', job, op.cardCrash);
              if (result === undefined || op.loseBf71) break;
              if (result.outcome === OUTCOME_APPLIED && result.keyVersion === job.version)
                job.state = 'applied';
              break;
            }
            case 'resume': {
              if (job?.state !== 'sent') break;
              const { status } = await session('status', job);
              if (op.loseAnswer || status === undefined) break;
              const applied =
                status.lastTransactionId !== undefined && equalBytes(status.lastTransactionId, job.tx);
              job.state = applied ? 'applied' : 'staged'; // not applied: BF70 goes again with the same transaction
              break;
            }
            case 'commit':
              if (job?.state !== 'applied') break;
              await world.hss.hss.commitCandidate(imsi, job.tx, 'server');
              if (!op.loseAnswer) job.state = 'completed';
              break;
            case 'cancel':
              if (job?.state !== 'pending' && job?.state !== 'staged') break;
              job.state = 'cancelled';
              await hssCall(() => world.hss.hss.abortCandidate(imsi, job!.tx, 'server'));
              break;
            case 'reconcile': {
              // Aborts a candidate no open job owns (DESIGN.md 6 step 4).
              const c = (await hssView()).candidate;
              const open = job !== undefined && job.state !== 'completed' && job.state !== 'cancelled';
              if (c !== undefined && !(open && equalBytes(c.transactionId, job!.tx)))
                await hssCall(() => world.hss.hss.abortCandidate(imsi, c.transactionId, 'reconciler'));
              break;
            }
            case 'serverCrash':
              break; // the model keeps only the durable state: nothing in flight survives, which the ops already say
            case 'hssCrash':
              await hssCrash();
              port.world.hss = world.hss;
              break;
            case 'attach':
              port.loseReports = op.loseReports;
              await attachFrom(ueOf(op.clone));
              port.loseReports = false;
              break;
            case 'late': {
              // A challenge taken before the server finishes its job and answered after it (a commit in between).
              const ue = ueOf(op.clone);
              const challenge = await core.attach(imsi, SNN);
              await finishJob();
              await check('late');
              await attachFrom(ue, challenge);
              break;
            }
            case 'flood': {
              port.loseReports = op.loseReports;
              const ues = op.who.map(ueOf);
              const challenges = [];
              for (const ue of ues) {
                challenges.push(await core.attach(imsi, SNN));
                void ue;
              }
              for (const i of op.order) await attachFrom(ues[i], challenges[i]);
              port.loseReports = false;
              break;
            }
          }
          await check(op.op);
        }

        // Recovery: no more faults; the server finishes its job the way it would (resume, send, commit, reconcile).
        await finishJob();
        const c = (await hssView()).candidate;
        if (c !== undefined) await world.hss.hss.abortCandidate(imsi, c.transactionId, 'reconciler');

        // (c) the HSS's active keys are the card's, and (b) the real card attaches, in one attach.
        const v = await hssView();
        assert.equal(v.activeVersion, cardVersionNow(), '(c) HSS active version = card version');
        assert.equal(
          await attachFrom({ card: real.card, version: cardVersionNow() }),
          'attached',
          '(b) the real card attaches',
        );
        for (const clone of clones.filter((k) => k.version < cardVersionNow()))
          assert.notEqual(await attachFrom(clone), 'attached', '(a) a clone with old keys is rejected');
        await check('end');
      }
    },
  );
}

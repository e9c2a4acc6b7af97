// `ltku demo` (= npm start): the whole key update of DESIGN.md section 1 on loopback, on embedded defaults,
// narrated step by step: PKI, a card with two profiles, the HSS, the core and the Provisioning Server; attach with
// the old keys; key update of one profile (steps 1-6) over RAM over HTTP; detach and attach with the new keys
// (step 7); a clone holding the old keys is rejected; the other profile still attaches.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VirtualCard, openCardImageFile } from '../../../card/index.js';
import { cryptoRandom, curveByName, CURVES } from '../../../crypto/index.js';
import { attach, detach } from '../../../ue/index.js';
import { openApduTrace, TRACE_HELP, TRACE_OPTIONS, TRACE_USAGE } from '../../apdu-trace.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalChoice, optionalString } from '../../options.js';
import { printJson } from '../../output.js';
import { ltku } from './support/cli-steps.js';
import { runKeyUpdate, startServer, type DemoServer } from './support/key-update.js';
import { Narrator, StepFailed } from './support/narrator.js';
import { DemoReport, suiteFact } from './support/report.js';
import { reportPath } from '../../report/index.js';
import { demoCredentials, startHssAndCore } from './support/services.js';
import {
  OSMO_HLR_INSTALL_HINT,
  describeOsmoHlr,
  osmoHlrInstalled,
  startOsmoCore,
  startOsmoHlrWithSubscribers,
} from './support/osmo-hlr.js';
import type { OsmoHlr } from '../../../osmo/index.js';

const systemClock = { now: () => new Date() };
const CURVE_NAMES = CURVES.map((c) => c.name);

// The image is locked while open (DESIGN.md 7); the caller closes the card.
function openCard(path: string): VirtualCard {
  const { image, store } = openCardImageFile(path);
  return new VirtualCard(image, { store, clock: systemClock, rng: cryptoRandom });
}

export const command: Command = {
  summary: 'run the whole key-update flow on loopback with embedded defaults (npm start)',
  usage: [
    `ltku demo [--json] [--db postgres://...] [--curve NAME] [--alg milenage|tuak] [--hss ltku|osmo-hlr] [--keep DIR] ${TRACE_USAGE} [--report FILE]`,
    '  --keep DIR leaves the PKI, the card images and the databases in DIR for inspection',
    '  --hss osmo-hlr: a real osmo-hlr (started in the demo directory) is the HSS: vectors over GSUP, keys written',
    "  over CTRL after the card's BF71 (Milenage only; apt-get install osmo-hlr; docs/osmo-hlr.md)",
    TRACE_HELP,
    '  --report FILE writes one self-contained HTML page of the run (sequence diagram, job history, key versions)',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    db: { type: 'string' },
    curve: { type: 'string' },
    alg: { type: 'string' },
    hss: { type: 'string' },
    keep: { type: 'string' },
    ...TRACE_OPTIONS,
    report: { type: 'string' },
  },
  async run(ctx) {
    const json = ctx.values.json === true;
    const curve = curveByName(optionalChoice(ctx.values, 'curve', CURVE_NAMES) ?? 'P-256');
    const alg = optionalChoice(ctx.values, 'alg', ['milenage', 'tuak'] as const) ?? 'milenage';
    const db = optionalString(ctx.values, 'db');
    // DESIGN.md 8: the HSS role's backend
    const hssBackend = optionalChoice(ctx.values, 'hss', ['ltku', 'osmo-hlr'] as const) ?? 'ltku';
    const osmo = hssBackend === 'osmo-hlr';
    if (osmo && alg !== 'milenage')
      throw new UsageError('--alg tuak: osmo-hlr takes Milenage keys only over CTRL (use --hss ltku)');
    if (osmo && !osmoHlrInstalled()) {
      const reason = `--hss osmo-hlr: ${OSMO_HLR_INSTALL_HINT} (or run the demo without --hss osmo-hlr)`;
      if (json) printJson(ctx.stdout, { ok: false, failedStep: 'setup', reason, hss: hssBackend });
      ctx.stderr.write(`ltku demo: ${reason}\n`);
      return 1;
    }
    if (db !== undefined && !db.startsWith('postgres://') && !db.startsWith('postgresql://')) {
      throw new UsageError(
        '--db: expected a postgres:// URL (the default is SQLite files in the demo directory)',
      );
    }
    // Every APDU of the real card and of the clone, as a SIMtrace would see it (wrapped commands encrypted).
    const trace = openApduTrace(ctx.values, (m) => ctx.stderr.write(`ltku demo: warning: ${m}\n`));
    const keep = optionalString(ctx.values, 'keep');
    const dir = keep !== undefined ? resolve(keep) : mkdtempSync(join(tmpdir(), 'ltku-demo-'));
    if (keep !== undefined) mkdirSync(dir, { recursive: true });
    const reportFile = optionalString(ctx.values, 'report');
    const report = reportFile !== undefined ? new DemoReport(reportPath(reportFile)) : undefined;
    const n = new Narrator(ctx.stdout, json, (step, title) => report?.recorder.phase(`[${step}] ${title}`));
    const started = performance.now();
    const stops: (() => Promise<void>)[] = [() => trace.close()];
    let failed: StepFailed | undefined;
    let keyUpdate: Record<string, unknown> = {};
    n.say(
      `ltku demo: long-term key update over SCP11a (curve ${curve.name}, ${alg}${osmo ? ', HSS osmo-hlr' : ''}) in ${dir}`,
    );
    let hlr: OsmoHlr | undefined;
    try {
      const env = { ...ctx.env };
      const pki = join(dir, 'pki');
      const cardFile = join(dir, 'card.json');
      const cloneFile = join(dir, 'clone-with-old-keys.json');
      const subscribers = join(dir, 'subscribers.json');
      const setup = await n.step(
        'setup',
        `PKI, a card with two profiles, subscribers into ${osmo ? 'osmo-hlr' : 'the HSS'}`,
        async () => {
          await ltku(['pki', 'init', '--dir', pki, '--curve', curve.name], env);
          await ltku(
            [
              'pki',
              'issue',
              '--dir',
              pki,
              '--role',
              'oce',
              '--format',
              'gp',
              '--curve',
              curve.name,
              '--out',
              join(pki, 'oce'),
            ],
            env,
          );
          await ltku(
            [
              'card',
              'create',
              '--pki',
              pki,
              '--out',
              cardFile,
              '--profiles',
              '2',
              '--alg',
              alg,
              '--curves',
              curve.name,
              '--subscribers-out',
              subscribers,
            ],
            env,
          );
          copyFileSync(cardFile, cloneFile);
          if (osmo) {
            hlr = await startOsmoHlrWithSubscribers(dir, subscribers);
            const started = hlr;
            stops.push(() => started.stop());
          } else {
            await ltku(['hss', 'import', subscribers, '--data-dir', dir, ...(db ? ['--db', db] : [])], env);
          }
          const file = JSON.parse(readFileSync(subscribers, 'utf8')) as {
            eid: string;
            subscribers: { iccid: string; imsi: string }[];
          };
          return { eid: file.eid, profiles: file.subscribers.map((s) => ({ iccid: s.iccid, imsi: s.imsi })) };
        },
        (d) => [
          `CA-KLCC (card issuer) and CA-KLOC (server issuer) on ${curve.name}; CERT.OCE.ECKA issued`,
          `card EID ${d.eid}; profiles ${d.profiles.map((p) => `${p.iccid} (IMSI ${p.imsi})`).join(', ')}`,
          hlr !== undefined
            ? `${describeOsmoHlr(hlr)}; subscribers created over CTRL with the card's K and OPc; a copy of the card kept as a clone`
            : `personalisation file imported into the HSS (${db ? 'PostgreSQL' : 'SQLite'}); a copy of the card kept as a clone`,
        ],
      );
      const [target, other] = setup.profiles;
      // Kept out of the step's details: it holds the operator's token, and details are printed (--json).
      let server!: DemoServer;
      let osmoServices: Awaited<ReturnType<typeof startOsmoCore>> | undefined;
      const services = await n.step(
        'start',
        `${osmo ? 'core (GSUP to osmo-hlr)' : 'HSS, core'} and Provisioning Server on loopback, with credentials per role`,
        async () => {
          // DESIGN.md 7: one principal per role, tokens in memory; the services keep only their hashes
          const credentials = demoCredentials();
          if (hlr !== undefined) {
            osmoServices = await startOsmoCore(hlr, credentials);
            stops.push((osmoServices as { stopAll(): Promise<void> }).stopAll);
            server = await startServer({
              dir,
              pki,
              db,
              hssUrl: `osmo-hlr CTRL ${hlr.ctrl.host}:${hlr.ctrl.port}`,
              coreUrl: osmoServices.coreUrl,
              subscribersFile: subscribers,
              credentials,
              osmoCtrl: hlr.ctrl,
            });
            stops.push(server.close);
            return {
              hssUrl: describeOsmoHlr(hlr),
              coreUrl: osmoServices.coreUrl,
              ramUrl: server.ramUrl,
              adminUrl: server.adminUrl,
            };
          }
          const hc = await startHssAndCore(dir, db, credentials, report?.recorder.fetch('core', 'hss'));
          stops.push(hc.stopAll);
          server = await startServer({
            dir,
            pki,
            db,
            hssUrl: hc.hssUrl,
            coreUrl: hc.coreUrl,
            subscribersFile: subscribers,
            credentials,
            hssFetch: report?.recorder.fetch('server', 'hss'),
          });
          stops.push(server.close);
          return {
            hssUrl: hc.hssUrl,
            coreUrl: hc.coreUrl,
            ramUrl: server.ramUrl,
            adminUrl: server.adminUrl,
          };
        },
        (d) => [
          `HSS ${d.hssUrl}`,
          `core ${d.coreUrl}${osmo ? ' (5G HE AVs made from osmo-hlr quintuplets, TS 33.501 A.2/A.4)' : ''}`,
          `Provisioning Server: RAM endpoint ${d.ramUrl} (UEs), admin API ${d.adminUrl} (operator)`,
          'principals operator, provisioner (the server) and core, each with a bearer token; services keep SHA-256 hashes',
        ],
      );
      const card = openCard(cardFile);
      report?.cardBefore(card);
      stops.push(async () => {
        report?.cardAfter(card);
        card.close();
      });
      /** DESIGN.md 7: the token of each attach of the real card, kept for its detach (never narrated). */
      const attachTokens = new Map<string, string>();
      const attachOnce = async (c: VirtualCard, iccid: string) => {
        const r = await attach(trace.channel(report ? report.recorder.channel(c) : c), {
          iccid,
          coreUrl: services.coreUrl,
          fetch: report?.recorder.fetch('ue', 'core'),
        });
        if (r.attachToken !== undefined && c === card) attachTokens.set(iccid, r.attachToken);
        return {
          imsi: r.imsi,
          state: r.state,
          rounds: [...r.rounds],
          ...(r.reason ? { reason: r.reason } : {}),
        };
      };
      const mustAttach = (r: { state: string; reason?: string }) => {
        if (r.state !== 'attached')
          throw new Error(`attach was ${r.state}${r.reason ? `: ${r.reason}` : ''}`);
      };
      await n.step(
        'attach-old',
        `UE attaches profile ${target.iccid} with its old keys (5G AKA through the core and the HSS)`,
        async () => {
          const r = await attachOnce(card, target.iccid);
          mustAttach(r);
          return r;
        },
        (d) => [`USIM answered ${d.rounds.join(', ')}; ${d.state}`],
      );
      keyUpdate = await runKeyUpdate(n, {
        card: trace.channel(card),
        eid: setup.eid,
        iccid: target.iccid,
        server,
        report,
        ...(osmoServices === undefined
          ? {}
          : {
              verifyHss: async (job) => {
                const profile = card.image.profiles.find((p) => p.iccid === job.iccid);
                if (profile === undefined || !(await osmoServices!.holds(job.imsi, profile.keys)))
                  throw new Error(`osmo-hlr does not hold the card's new keys for IMSI ${job.imsi}`);
                return `osmo-hlr holds the card's new K and OPc (read back over CTRL); key version ${job.keyVersion} from the job store`;
              },
            }),
      });
      await n.step(
        'step-7',
        'UE detaches and attaches again, now with the new keys',
        async () => {
          const attachToken = attachTokens.get(target.iccid);
          if (attachToken === undefined) throw new Error('no attach token kept from the first attach');
          await detach(trace.channel(report ? report.recorder.channel(card) : card), {
            iccid: target.iccid,
            coreUrl: services.coreUrl,
            attachToken,
            fetch: report?.recorder.fetch('ue', 'core'),
          });
          const r = await attachOnce(card, target.iccid);
          mustAttach(r);
          return r;
        },
        (d) => [
          `detached; re-attach: USIM answered ${d.rounds.join(', ')}; ${d.state}`,
          ...(osmo && d.rounds[0] === 'sync-failure'
            ? ['osmo-hlr reset the SQN with the new keys: the USIM answered AUTS and the core resynchronised']
            : []),
        ],
      );
      await n.step(
        'clone',
        'a clone still holding the old keys tries to attach',
        async () => {
          const clone = openCard(cloneFile);
          stops.push(async () => clone.close());
          const r = await attachOnce(clone, target.iccid);
          if (r.state !== 'rejected') throw new Error(`the clone was ${r.state}: the old keys still work`);
          return r;
        },
        (d) => [
          `USIM answered ${d.rounds.join(', ')}; the network ${d.state} it${d.reason ? ` (${d.reason})` : ''}`,
        ],
      );
      await n.step(
        'other-profile',
        `profile ${other.iccid} (untouched keys) still attaches`,
        async () => {
          const r = await attachOnce(card, other.iccid);
          mustAttach(r);
          return r;
        },
        (d) => [`USIM answered ${d.rounds.join(', ')}; ${d.state}`],
      );
    } catch (e) {
      if (e instanceof StepFailed) failed = e;
      else if (e instanceof UsageError) throw e;
      else failed = new StepFailed('demo', e instanceof Error ? e.message : String(e));
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      if (keep === undefined) rmSync(dir, { recursive: true, force: true });
    }
    const totalMs = Math.round(performance.now() - started);
    report?.write({
      command: ['ltku demo', `--curve ${curve.name}`, `--alg ${alg}`, db ? '--db (PostgreSQL)' : '']
        .join(' ')
        .trim(),
      totalMs,
      steps: n.steps,
      ...(failed ? { failure: failed.message } : {}),
      facts: [
        ['curve', curve.name],
        ['algorithm', alg],
        ['HSS', hssBackend],
        ['database', db ? 'PostgreSQL' : 'SQLite'],
        ...suiteFact(keyUpdate),
      ],
    });
    if (json) {
      printJson(ctx.stdout, {
        ok: failed === undefined,
        ...(failed ? { failedStep: failed.step, reason: failed.reason } : {}),
        curve: curve.name,
        algorithm: alg,
        hss: hssBackend,
        database: db ? 'postgresql' : 'sqlite',
        totalMs,
        ...keyUpdate,
        steps: n.steps,
        ...(keep !== undefined ? { dir } : {}),
        ...(report ? { report: report.path } : {}),
      });
    } else if (failed) {
      ctx.stderr.write(`ltku demo: ${failed.message}\n`);
    } else {
      n.say(
        `\nltku demo: all seven steps done in ${totalMs} ms${keep !== undefined ? `; files kept in ${dir}` : ''}`,
      );
    }
    if (report && !json) {
      n.say(`ltku demo: report written to ${report.path}`);
    }
    return failed === undefined ? 0 : 1;
  },
};

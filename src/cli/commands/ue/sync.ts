// `ltku ue sync`: the UE agent runs one RAM-over-HTTP session between the server and its card (DESIGN.md 4.7).
import {
  decodeCertificateStore,
  decodeKeyInformation,
  getDataCommand,
  certificateStoreQuery,
  ISD_AID,
  KID_SCP11A,
  TAG_KEY_INFO_TEMPLATE,
} from '../../../gp/index.js';
import {
  CLA_ISO,
  INS_SELECT,
  command as apdu,
  transmitOk,
  type CardChannel,
} from '../../../iso7816/index.js';
import { decodeCertificate } from '../../../pki/index.js';
import { attach, CoreProtocolError, detach, selectUsim } from '../../../ue/index.js';
import { iccidsOfImsis } from './support/profile-id.js';
import { runRamSession } from '../../../ue/ram-agent.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalHttpUrl, optionalString, requireHttpUrl } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { ATTACH_TOKEN_OPTIONS, ATTACH_TOKEN_USAGE, AttachTokens } from './support/attach-tokens.js';
import { CARD_OPTIONS, CARD_USAGE, openCardChannel } from './support/open-channel.js';
import { syncOutcome, syncOutcomeRows, type SyncOutcome } from './support/sync-outcome.js';
import { writeSyncReport } from './support/sync-report.js';
import { RunRecorder, reportPath } from '../../report/index.js';

const RAM_PATH = '/ram/v1';
/** ISO/IEC 7816-4 11.1.1: SELECT by DF name. */
const P1_SELECT_BY_NAME = 0x04;

/** The EID in the card's first SCP11a CERT.SD.ECKA (an identifier for X-Admin-From; the server verifies it). */
async function readEid(channel: CardChannel): Promise<string> {
  await transmitOk(channel, apdu(CLA_ISO, INS_SELECT, P1_SELECT_BY_NAME, 0x00, ISD_AID, 256), 'SELECT ISD');
  const keys = decodeKeyInformation(
    await transmitOk(channel, getDataCommand(TAG_KEY_INFO_TEMPLATE), 'GET DATA 00E0'),
  );
  const keySet = keys.entries.find((k) => k.kid === KID_SCP11A);
  if (keySet === undefined) throw new UsageError('the card holds no SCP11a key set; give --eid');
  const store = await transmitOk(channel, certificateStoreQuery(keySet.kid, keySet.kvn), 'GET DATA BF21');
  const chain = decodeCertificateStore(store);
  const eid = decodeCertificate(chain[chain.length - 1]).eid;
  if (eid === undefined) throw new UsageError('the card certificate carries no EID; give --eid');
  return eid;
}

export const command: Command = {
  summary: 'run the pending remote administration (key update) of a card with the server',
  usage: [
    `ltku ue sync ${CARD_USAGE} --server URL [--eid EID] [--core URL (--iccid ICCID | --imsi IMSI)...] ${ATTACH_TOKEN_USAGE} [--json] [--report FILE]`,
    `  --server: the server's RAM listener (the RAM path ${RAM_PATH} is added) or its full admin URL`,
    '  --core with --iccid: after the session, detach (with the attach token kept by ltku ue attach, if any)',
    '  and attach each profile again (step 7, new keys)',
    '  --report FILE: write one self-contained HTML page of the session (sequence diagram, job, key versions)',
  ].join('\n'),
  options: {
    ...CARD_OPTIONS,
    ...ATTACH_TOKEN_OPTIONS,
    server: { type: 'string' },
    eid: { type: 'string' },
    core: { type: 'string' },
    iccid: { type: 'string', multiple: true },
    imsi: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    report: { type: 'string' },
  },
  async run(ctx) {
    let url = new URL(requireHttpUrl(ctx.values, 'server'));
    if (url.pathname === '/' || url.pathname === '') url = new URL(RAM_PATH, url);
    const given = optionalString(ctx.values, 'eid');
    if (given !== undefined && !/^[0-9]{32}$/.test(given)) throw new UsageError('--eid: expected 32 digits');
    const coreUrl = optionalHttpUrl(ctx.values, 'core');
    const iccids = (ctx.values.iccid ?? []) as string[];
    const imsis = (ctx.values.imsi ?? []) as string[];
    if ((coreUrl === undefined) !== (iccids.length + imsis.length === 0))
      throw new UsageError('--core and --iccid (or --imsi) go together');
    const reportValue = optionalString(ctx.values, 'report');
    const reportFile = reportValue === undefined ? undefined : reportPath(reportValue);
    const rec = reportFile !== undefined ? new RunRecorder() : undefined;
    const seen: { eid?: string; outcome?: SyncOutcome; reattached: { iccid: string; state: string }[] } = {
      reattached: [],
    };
    const card = await openCardChannel(ctx.values);
    const channel = rec ? rec.channel(card.channel) : card.channel;
    try {
      rec?.phase(given === undefined ? 'read the EID from the card' : `EID ${given} (given)`);
      const eid = given ?? (await readEid(channel));
      seen.eid = eid;
      if (imsis.length > 0) iccids.push(...(await iccidsOfImsis(channel, imsis)));
      rec?.phase(`RAM over HTTP session with ${url.toString()}`);
      const report = await runRamSession({
        url: url.toString(),
        eid,
        channel,
        fetch: rec?.fetch('ue', 'server'),
      });
      seen.outcome = syncOutcome(report);
      // Step 7 (DESIGN.md section 1): detach, then attach again so the network authenticates the new keys.
      const reattached = seen.reattached;
      const tokens = new AttachTokens(ctx.values);
      for (const iccid of iccids) {
        rec?.phase(`step 7: detach and attach ${iccid} again`);
        const { imsi } = await selectUsim(channel, iccid);
        const attachToken = tokens.get(coreUrl!, imsi);
        if (attachToken !== undefined) {
          // A 403: the core no longer holds that attach (restarted, or attached since elsewhere); attach anew.
          const fetch = rec?.fetch('ue', 'core');
          await detach(channel, { iccid, coreUrl: coreUrl!, attachToken, fetch }).catch((e: unknown) => {
            if (!(e instanceof CoreProtocolError && e.status === 403)) throw e;
          });
          tokens.delete(coreUrl!, imsi);
        }
        const r = await attach(channel, { iccid, coreUrl: coreUrl!, fetch: rec?.fetch('ue', 'core') });
        if (r.attachToken !== undefined) tokens.set(coreUrl!, r.imsi, r.attachToken);
        reattached.push({ iccid, state: r.state });
      }
      const outcome = syncOutcome(report);
      if (rec) writeSyncReport(reportFile!, rec, { server: url.toString(), ...seen });
      if (ctx.values.json)
        printJson(ctx.stdout, { eid, ...report, ...outcome, ...(iccids.length ? { reattached } : {}) });
      else
        printTable(ctx.stdout, [
          ['eid', eid],
          ...syncOutcomeRows(outcome),
          ['posts', String(report.posts)],
          ['resumes', String(report.resumes)],
          ['apdus', String(report.apdus)],
          ['bytes sent', String(report.bytesSent)],
          ['bytes received', String(report.bytesReceived)],
          ...reattached.map((r): [string, string] => [`re-attach ${r.iccid}`, r.state]),
        ]);
      return reattached.every((r) => r.state === 'attached') ? 0 : 1;
    } catch (e) {
      if (rec) {
        const error = e instanceof Error ? e.message : String(e);
        writeSyncReport(reportFile!, rec, { server: url.toString(), ...seen, error });
      }
      throw e;
    } finally {
      await card.close();
    }
  },
};

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
import { runRamSession } from '../../../ue/ram-agent.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalString, requireString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { ATTACH_TOKEN_OPTIONS, ATTACH_TOKEN_USAGE, AttachTokens } from './support/attach-tokens.js';
import { CARD_OPTIONS, CARD_USAGE, openCardChannel } from './support/open-channel.js';

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
    `ltku ue sync ${CARD_USAGE} --server URL [--eid EID] [--core URL --iccid ID...] ${ATTACH_TOKEN_USAGE} [--json]`,
    `  --server: the server's RAM listener (the RAM path ${RAM_PATH} is added) or its full admin URL`,
    '  --core with --iccid: after the session, detach (with the attach token kept by ltku ue attach, if any)',
    '  and attach each profile again (step 7, new keys)',
  ].join('\n'),
  options: {
    ...CARD_OPTIONS,
    ...ATTACH_TOKEN_OPTIONS,
    server: { type: 'string' },
    eid: { type: 'string' },
    core: { type: 'string' },
    iccid: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const server = requireString(ctx.values, 'server');
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UsageError(`--server: not a URL: ${JSON.stringify(server)}`);
    }
    if (url.pathname === '/' || url.pathname === '') url = new URL(RAM_PATH, url);
    const given = optionalString(ctx.values, 'eid');
    if (given !== undefined && !/^[0-9]{32}$/.test(given)) throw new UsageError('--eid: expected 32 digits');
    const coreUrl = optionalString(ctx.values, 'core');
    const iccids = (ctx.values.iccid ?? []) as string[];
    if ((coreUrl === undefined) !== (iccids.length === 0))
      throw new UsageError('--core and --iccid go together');
    const card = await openCardChannel(ctx.values);
    try {
      const eid = given ?? (await readEid(card.channel));
      const report = await runRamSession({ url: url.toString(), eid, channel: card.channel });
      // Step 7 (DESIGN.md section 1): detach, then attach again so the network authenticates the new keys.
      const reattached: { iccid: string; state: string }[] = [];
      const tokens = new AttachTokens(ctx.values);
      for (const iccid of iccids) {
        const { imsi } = await selectUsim(card.channel, iccid);
        const attachToken = tokens.get(coreUrl!, imsi);
        if (attachToken !== undefined) {
          // A 403: the core no longer holds that attach (restarted, or attached since elsewhere); attach anew.
          await detach(card.channel, { iccid, coreUrl: coreUrl!, attachToken }).catch((e: unknown) => {
            if (!(e instanceof CoreProtocolError && e.status === 403)) throw e;
          });
          tokens.delete(coreUrl!, imsi);
        }
        const r = await attach(card.channel, { iccid, coreUrl: coreUrl! });
        if (r.attachToken !== undefined) tokens.set(coreUrl!, r.imsi, r.attachToken);
        reattached.push({ iccid, state: r.state });
      }
      if (ctx.values.json)
        printJson(ctx.stdout, { eid, ...report, ...(iccids.length ? { reattached } : {}) });
      else
        printTable(ctx.stdout, [
          ['eid', eid],
          ['posts', String(report.posts)],
          ['resumes', String(report.resumes)],
          ['apdus', String(report.apdus)],
          ['bytes sent', String(report.bytesSent)],
          ['bytes received', String(report.bytesReceived)],
          ...reattached.map((r): [string, string] => [`re-attach ${r.iccid}`, r.state]),
        ]);
      return reattached.every((r) => r.state === 'attached') ? 0 : 1;
    } finally {
      await card.close();
    }
  },
};

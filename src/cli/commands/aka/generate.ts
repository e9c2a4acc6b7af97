// `ltku aka generate`: one authentication vector (TS 33.102 6.3.2) with Milenage or TUAK, optionally the EPS KASME
// (TS 33.401 A.2) and the 5G XRES*/KAUSF (TS 33.501 A.2, A.4). A calculator: it prints keys because it is asked to.
import { toHex } from '../../../bytes/index.js';
import {
  c2,
  c3,
  generateVector,
  kasme,
  kausf,
  resStar,
  snId,
  SQN_MAX,
  sqnFromBytes,
  sqnToBytes,
} from '../../../aka/index.js';
import { cryptoRandom } from '../../../crypto/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalHex, optionalString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { keyOptions, readFunctions, tuakSizeOptions } from './lib/aka-options.js';

const LABELS: Record<string, string> = {
  opc: 'OPc',
  topc: 'TOPc',
  rand: 'RAND',
  sqn: 'SQN',
  amf: 'AMF',
  macA: 'MAC-A (f1)',
  macS: 'MAC-S (f1*)',
  res: 'RES (f2)',
  ck: 'CK (f3)',
  ik: 'IK (f4)',
  ak: 'AK (f5)',
  akStar: 'AK* (f5*)',
  autn: 'AUTN',
  kasme: 'KASME',
  sres: 'SRES (2G, c2)',
  kc: 'Kc (2G, c3)',
  xresStar: 'XRES*',
  kausf: 'KAUSF',
};
/** TS 33.102 6.3.2: the AMF when none is given, separation bit set (as osmo-auc-gen and the HSS use). */
const DEFAULT_AMF = '8000';

/** --sqn as a decimal number (osmo-auc-gen style, `--sqn 0`), 0x-prefixed hex, or exactly 12 hex digits. */
function parseSqn(v: string | undefined): Uint8Array {
  if (v === undefined || v === '')
    throw new UsageError('missing option --sqn (decimal, 0x-hex or 12 hex digits)');
  let n: bigint;
  if (/^0x[0-9a-f]{1,12}$/i.test(v) || /^[0-9a-f]{12}$/i.test(v))
    n = BigInt(v.startsWith('0x') || v.startsWith('0X') ? v : `0x${v}`);
  else if (/^[0-9]{1,15}$/.test(v)) n = BigInt(v);
  else
    throw new UsageError(
      `--sqn: expected a decimal number, 0x-hex or 12 hex digits, not ${JSON.stringify(v)}`,
    );
  if (n > SQN_MAX) throw new UsageError(`--sqn: ${n} does not fit 48 bits`);
  return sqnToBytes(n);
}

function parsePlmn(plmn: string): { mcc: string; mnc: string } {
  if (!/^[0-9]{5,6}$/.test(plmn)) throw new UsageError('--plmn: expected MCCMNC, 5 or 6 digits (e.g. 00101)');
  return { mcc: plmn.slice(0, 3), mnc: plmn.slice(3) };
}

export const command: Command = {
  summary: 'compute an AKA vector (Milenage or TUAK), with KASME/XRES*/KAUSF on request',
  usage: [
    'ltku aka generate --alg milenage --k HEX (--opc HEX | --op HEX) [--rand HEX] --sqn N [--amf HEX]',
    '                  [--plmn MCCMNC] [--snn NAME] [--json]',
    'ltku aka generate --alg tuak --k HEX (--topc HEX | --top HEX) [--rand HEX] --sqn N [--amf HEX]',
    '                  [--keccak-iterations N] [--mac-bits 64|128|256] [--res-bits 32|64|128|256]',
    '                  [--ck-bits 128|256] [--ik-bits 128|256] [--plmn MCCMNC] [--snn NAME] [--json]',
    'Without --rand a random RAND is drawn; RAND, SQN and AMF are always printed. --sqn: decimal (as osmo-auc-gen,',
    `e.g. --sqn 0), 0x-hex or 12 hex digits; --amf defaults to ${DEFAULT_AMF}. TUAK defaults: 1 iteration, MAC 64, RES 64,`,
    'CK/IK 128 bits. With 128-bit CK and IK the 2G SRES and Kc follow (TS 33.102 6.8.1.2 conversions c2, c3).',
    '--plmn adds KASME (TS 33.401 A.2); --snn (e.g. 5G:mnc001.mcc001.3gppnetwork.org) adds XRES* and KAUSF.',
  ].join('\n'),
  options: {
    ...keyOptions,
    ...tuakSizeOptions,
    rand: { type: 'string' },
    sqn: { type: 'string' },
    amf: { type: 'string' },
    plmn: { type: 'string' },
    snn: { type: 'string' },
  },
  async run(ctx) {
    const { values } = ctx;
    const { fns, opcName, opc } = readFunctions(values);
    const givenRand = optionalHex(values, 'rand', 16);
    const sqn = parseSqn(optionalString(values, 'sqn'));
    const amf = optionalHex(values, 'amf', 2) ?? Uint8Array.of(0x80, 0x00);
    const plmn = optionalString(values, 'plmn');
    const snn = optionalString(values, 'snn');
    const serving = plmn === undefined ? undefined : parsePlmn(plmn);
    if (snn !== undefined && snn.length === 0) throw new UsageError('--snn: empty serving network name');
    const rand = givenRand ?? cryptoRandom.randomBytes(16);

    const v = generateVector(fns, rand, sqnFromBytes(sqn), amf);
    const out: Record<string, string> = {
      [opcName]: toHex(opc),
      rand: toHex(rand),
      sqn: toHex(sqn),
      amf: toHex(amf),
    };
    Object.assign(out, {
      macA: toHex(v.autn.subarray(8)),
      macS: toHex(fns.f1star(rand, sqn, amf)),
      res: toHex(v.xres),
      ck: toHex(v.ck),
      ik: toHex(v.ik),
      ak: toHex(v.ak),
      akStar: toHex(fns.f5star(rand)),
      autn: toHex(v.autn),
    });
    if (v.ck.length === 16 && v.ik.length === 16 && v.xres.length <= 16 && v.xres.length % 4 === 0) {
      out.sres = toHex(c2(v.xres));
      out.kc = toHex(c3(v.ck, v.ik));
    }
    if (serving !== undefined || snn !== undefined) {
      if (v.ck.length !== 16 || v.ik.length !== 16) {
        throw new UsageError('--plmn and --snn need 128-bit CK and IK (--ck-bits 128 --ik-bits 128)');
      }
      const sqnXorAk = v.autn.subarray(0, 6);
      if (serving !== undefined)
        out.kasme = toHex(kasme(v.ck, v.ik, snId(serving.mcc, serving.mnc), sqnXorAk));
      if (snn !== undefined) {
        out.xresStar = toHex(resStar(v.ck, v.ik, snn, rand, v.xres));
        out.kausf = toHex(kausf(v.ck, v.ik, snn, sqnXorAk));
      }
    }
    if (values.json === true) printJson(ctx.stdout, out);
    else
      printTable(
        ctx.stdout,
        Object.entries(out).map(([k, value]) => [LABELS[k] ?? k, value] as const),
      );
    return 0;
  },
};

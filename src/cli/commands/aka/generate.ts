// `ltku aka generate`: one authentication vector (TS 33.102 6.3.2) with Milenage or TUAK, optionally the EPS KASME
// (TS 33.401 A.2) and the 5G XRES*/KAUSF (TS 33.501 A.2, A.4). A calculator: it prints keys because it is asked to.
import { toHex } from '../../../bytes/index.js';
import { generateVector, kasme, kausf, resStar, snId, sqnFromBytes } from '../../../aka/index.js';
import { cryptoRandom } from '../../../crypto/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalHex, optionalString, requireHex } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { keyOptions, readFunctions, tuakSizeOptions } from './lib/aka-options.js';

const LABELS: Record<string, string> = {
  opc: 'OPc',
  topc: 'TOPc',
  rand: 'RAND',
  mac_a: 'MAC-A (f1)',
  mac_s: 'MAC-S (f1*)',
  res: 'RES (f2)',
  ck: 'CK (f3)',
  ik: 'IK (f4)',
  ak: 'AK (f5)',
  ak_star: 'AK* (f5*)',
  autn: 'AUTN',
  kasme: 'KASME',
  xres_star: 'XRES*',
  kausf: 'KAUSF',
};

function parsePlmn(plmn: string): { mcc: string; mnc: string } {
  if (!/^[0-9]{5,6}$/.test(plmn)) throw new UsageError('--plmn: expected MCCMNC, 5 or 6 digits (e.g. 00101)');
  return { mcc: plmn.slice(0, 3), mnc: plmn.slice(3) };
}

export const command: Command = {
  summary: 'compute an AKA vector (Milenage or TUAK), with KASME/XRES*/KAUSF on request',
  usage: [
    'ltku aka generate --alg milenage --k HEX (--opc HEX | --op HEX) [--rand HEX] --sqn HEX --amf HEX',
    '                  [--plmn MCCMNC] [--snn NAME] [--json]',
    'ltku aka generate --alg tuak --k HEX (--topc HEX | --top HEX) [--rand HEX] --sqn HEX --amf HEX',
    '                  [--keccak-iterations N] [--mac-bits 64|128|256] [--res-bits 32|64|128|256]',
    '                  [--ck-bits 128|256] [--ik-bits 128|256] [--plmn MCCMNC] [--snn NAME] [--json]',
    'Without --rand a random RAND is drawn and printed. TUAK defaults: 1 iteration, MAC 64, RES 64, CK/IK 128 bits.',
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
    const sqn = requireHex(values, 'sqn', 6);
    const amf = requireHex(values, 'amf', 2);
    const plmn = optionalString(values, 'plmn');
    const snn = optionalString(values, 'snn');
    const serving = plmn === undefined ? undefined : parsePlmn(plmn);
    if (snn !== undefined && snn.length === 0) throw new UsageError('--snn: empty serving network name');
    const rand = givenRand ?? cryptoRandom.randomBytes(16);

    const v = generateVector(fns, rand, sqnFromBytes(sqn), amf);
    const out: Record<string, string> = { [opcName]: toHex(opc) };
    if (givenRand === undefined) out.rand = toHex(rand);
    Object.assign(out, {
      mac_a: toHex(v.autn.subarray(8)),
      mac_s: toHex(fns.f1star(rand, sqn, amf)),
      res: toHex(v.xres),
      ck: toHex(v.ck),
      ik: toHex(v.ik),
      ak: toHex(v.ak),
      ak_star: toHex(fns.f5star(rand)),
      autn: toHex(v.autn),
    });
    if (serving !== undefined || snn !== undefined) {
      if (v.ck.length !== 16 || v.ik.length !== 16) {
        throw new UsageError('--plmn and --snn need 128-bit CK and IK (--ck-bits 128 --ik-bits 128)');
      }
      const sqnXorAk = v.autn.subarray(0, 6);
      if (serving !== undefined)
        out.kasme = toHex(kasme(v.ck, v.ik, snId(serving.mcc, serving.mnc), sqnXorAk));
      if (snn !== undefined) {
        out.xres_star = toHex(resStar(v.ck, v.ik, snn, rand, v.xres));
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

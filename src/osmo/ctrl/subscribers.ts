// osmo-hlr's subscriber variables over CTRL (osmo-hlr user manual, "Control interface"; osmo-hlr src/ctrl.c):
// subscriber.create / subscriber.delete <IMSI>, subscriber.by-imsi-<IMSI>.aud3g
// `algo[,KI,("op"|"opc"),OP_C[,ind_bitlen]]`, .msisdn, and .info-aud read back as `name<TAB>value` lines.
import { fromHex, toHex } from '../../bytes/index.js';
import { OsmoError } from '../errors.js';
import type { CtrlClient } from './client.js';

/** osmo-hlr 1.5 accepts `none`, `xor` and `milenage` in aud3g (src/hlr_vty_subscr.c auth_algo_parse). */
export const AUD3G_MILENAGE = 'milenage';
export const AUD3G_TUAK = 'tuak';
/** ctrl.c set_subscr_aud3g's answer to an algorithm it does not know. */
export const CTRL_REPLY_UNKNOWN_ALGORITHM = 'Unknown auth algorithm.';
const MILENAGE_KEY_LENGTH = 16;

export interface Aud3gKeys {
  readonly algorithm: 'milenage' | 'tuak';
  readonly k: Uint8Array;
  readonly opc: Uint8Array;
}

export interface Aud3g {
  /** Lower case, as osmo-hlr names it ('milenage'). */
  readonly algorithm: string;
  readonly k: Uint8Array;
  /** Absent when the subscriber has OP rather than OPc. */
  readonly opc?: Uint8Array;
  readonly op?: Uint8Array;
  readonly indBitlen?: number;
  /** The SQN osmo-hlr last used (TS 33.102 Annex C: SEQ || IND). */
  readonly sqn?: bigint;
}

function checkImsi(imsi: string): void {
  if (!/^[0-9]{6,15}$/.test(imsi)) {
    throw new OsmoError('ctrl', `IMSI ${JSON.stringify(imsi.slice(0, 20))} is not 6 to 15 decimal digits`);
  }
}

/** ctrl.c: the `name<TAB>value` lines of info, info-aud and info-all. */
export function parseInfoLines(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of value.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) out.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return out;
}

export class OsmoHlrSubscribers {
  constructor(private readonly ctrl: CtrlClient) {}

  /** SET subscriber.create <IMSI>; osmo-hlr answers the new subscriber's database id. */
  async create(imsi: string): Promise<void> {
    checkImsi(imsi);
    await this.ctrl.set('subscriber.create', imsi);
  }

  /** SET subscriber.delete <IMSI>. */
  async delete(imsi: string): Promise<void> {
    checkImsi(imsi);
    await this.ctrl.set('subscriber.delete', imsi);
  }

  /** SET subscriber.by-imsi-<IMSI>.msisdn <MSISDN>. */
  async setMsisdn(imsi: string, msisdn: string): Promise<void> {
    checkImsi(imsi);
    if (!/^[0-9]{1,15}$/.test(msisdn)) throw new OsmoError('ctrl', 'MSISDN is not 1 to 15 decimal digits');
    await this.ctrl.set(`subscriber.by-imsi-${imsi}.msisdn`, msisdn);
  }

  /**
   * SET subscriber.by-imsi-<IMSI>.aud3g milenage,<K>,OPC,<OPc>. TUAK is sent as `tuak,...` too: osmo-hlr 1.5
   * answers "Unknown auth algorithm." (and takes a 16-byte OPc only), which becomes an OsmoError('ctrl')
   * saying TUAK is not supported by this osmo-hlr's CTRL.
   */
  async setAud3g(imsi: string, keys: Aud3gKeys): Promise<void> {
    checkImsi(imsi);
    const variable = `subscriber.by-imsi-${imsi}.aud3g`;
    if (keys.algorithm === 'milenage') {
      if (keys.k.length !== MILENAGE_KEY_LENGTH || keys.opc.length !== MILENAGE_KEY_LENGTH) {
        throw new OsmoError('ctrl', `aud3g for IMSI ${imsi}: Milenage K and OPc must be 16 bytes each`);
      }
      await this.ctrl.set(variable, `${AUD3G_MILENAGE},${toHex(keys.k)},OPC,${toHex(keys.opc)}`);
      return;
    }
    try {
      await this.ctrl.set(variable, `${AUD3G_TUAK},${toHex(keys.k)},OPC,${toHex(keys.opc)}`);
    } catch (e) {
      if (e instanceof OsmoError && e.kind === 'ctrl') {
        throw new OsmoError(
          'ctrl',
          `aud3g for IMSI ${imsi}: TUAK is not supported by this osmo-hlr's CTRL interface (${e.message})`,
        );
      }
      throw e;
    }
  }

  /** GET subscriber.by-imsi-<IMSI>.info-aud: the 3G authentication data, or undefined when none is set. */
  async readAud3g(imsi: string): Promise<Aud3g | undefined> {
    checkImsi(imsi);
    const info = parseInfoLines(await this.ctrl.get(`subscriber.by-imsi-${imsi}.info-aud`));
    const algorithm = info.get('aud3g.algo');
    const k = info.get('aud3g.k');
    if (algorithm === undefined || k === undefined) return undefined;
    const opc = info.get('aud3g.opc');
    const op = info.get('aud3g.op');
    const indBitlen = info.get('aud3g.ind_bitlen');
    const sqn = info.get('aud3g.sqn');
    return {
      algorithm: algorithm.toLowerCase(),
      k: fromHex(k, 'aud3g.k'),
      ...(opc !== undefined ? { opc: fromHex(opc, 'aud3g.opc') } : {}),
      ...(op !== undefined ? { op: fromHex(op, 'aud3g.op') } : {}),
      ...(indBitlen !== undefined && /^[0-9]+$/.test(indBitlen) ? { indBitlen: Number(indBitlen) } : {}),
      ...(sqn !== undefined && /^[0-9]+$/.test(sqn) ? { sqn: BigInt(sqn) } : {}),
    };
  }
}

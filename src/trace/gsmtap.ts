// GSMTAP v2 of one SIM APDU exchange, as simtrace2 sends it: libosmocore include/osmocom/core/gsmtap.h (struct
// gsmtap_hdr, GSMTAP_TYPE_SIM, GSMTAP_SIM_APDU) and simtrace2 host/lib/gsmtap.c osmo_st2_gsmtap_send_apdu().
import { concatBytes } from '../bytes/index.js';
import { SHORT_MAX_NC, decodeCommand, type CommandApdu, type ResponseApdu } from '../iso7816/index.js';

/** gsmtap.h GSMTAP_VERSION. */
export const GSMTAP_VERSION = 0x02;
/** gsmtap.h GSMTAP_TYPE_SIM. */
export const GSMTAP_TYPE_SIM = 0x04;
/** gsmtap.h GSMTAP_SIM_APDU: command and response of one APDU in one PDU. */
export const GSMTAP_SIM_APDU = 0x00;
/** gsmtap.h GSMTAP_UDP_PORT (IANA-registered). */
export const GSMTAP_UDP_PORT = 4729;
/** sizeof(struct gsmtap_hdr): 16 bytes; hdr_len counts 32-bit words. */
export const GSMTAP_HEADER_LENGTH = 16;
const WORD = 4;
/** Offsets in struct gsmtap_hdr (version, hdr_len, type, timeslot, arfcn, signal, snr, fn, sub_type, ...). */
const OFF_VERSION = 0;
const OFF_HDR_LEN = 1;
const OFF_TYPE = 2;
const OFF_SUB_TYPE = 12;

/**
 * The T=0 TPDU simtrace2 traces (host/simtrace2-cardem-pcsc.c: header, D(c), then the card's answer):
 * CLA INS P1 P2 P3, P3 command bytes, response data, SW1 SW2 (Wireshark's gsm_sim reads the SW from the end).
 * P3 is Lc when there is command data (T=0 has no Le then), else Le (256 as 00), else 00. A command longer
 * than a short Lc keeps its extended Lc (00 Lc1 Lc2) after P3 = 00: every byte stays in the trace.
 */
export function simTpdu(command: CommandApdu, response: ResponseApdu): Uint8Array {
  const nc = command.data.length;
  let lc: number[];
  if (nc > SHORT_MAX_NC) lc = [0, 0, nc >> 8, nc & 0xff];
  else if (nc > 0) lc = [nc];
  else lc = [command.ne === undefined ? 0 : command.ne & 0xff];
  const head = [command.cla, command.ins, command.p1, command.p2, ...lc];
  const out = new Uint8Array(head.length + nc + response.data.length + 2);
  out.set(head, 0);
  out.set(command.data, head.length);
  out.set(response.data, head.length + nc);
  out[out.length - 2] = (response.sw >> 8) & 0xff;
  out[out.length - 1] = response.sw & 0xff;
  return out;
}

/** A GSMTAP SIM APDU PDU (UDP payload): the 16-byte header, every field but version/length/type 0, then `tpdu`. */
export function gsmtapSimPdu(tpdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(GSMTAP_HEADER_LENGTH + tpdu.length);
  out[OFF_VERSION] = GSMTAP_VERSION;
  out[OFF_HDR_LEN] = GSMTAP_HEADER_LENGTH / WORD;
  out[OFF_TYPE] = GSMTAP_TYPE_SIM;
  out[OFF_SUB_TYPE] = GSMTAP_SIM_APDU;
  out.set(tpdu, GSMTAP_HEADER_LENGTH);
  return out;
}

/** The GSMTAP PDU of one APDU exchange. */
export function gsmtapSimApdu(command: CommandApdu, response: ResponseApdu): Uint8Array {
  return gsmtapSimPdu(simTpdu(command, response));
}

/**
 * The same from the bytes a card transport carries (a card served over vpcd/TCP). A command that is not a
 * well-formed APDU (the card answers it with an error SW) is traced as it came: its bytes, then the answer's.
 */
export function gsmtapSimApduBytes(command: Uint8Array, response: Uint8Array): Uint8Array {
  let decoded: CommandApdu;
  try {
    decoded = decodeCommand(command);
  } catch {
    return gsmtapSimPdu(concatBytes(command, response));
  }
  const n = Math.max(0, response.length - 2);
  const sw = response.length >= 2 ? (response[n] << 8) | response[n + 1] : 0;
  return gsmtapSimApdu(decoded, { data: response.subarray(0, n), sw });
}

// ETSI TS 102 226 5.2.1 / 5.2.2: the expanded remote APDU format carried by RAM over HTTP (GPC Amd B):
// command script AE 80 {22 len C-APDU}... 00 00, response script AF 80 {80 01 n, 23 len R-APDU}... 00 00.
import { decodeTlv, decodeTlvs, tagName, tlvIndefinite, tlv, TlvError, type Tlv } from '../bytes/index.js';
import { decodeCommand, decodeResponse, encodeCommand, encodeResponse } from './apdu.js';
import type { CommandApdu, ResponseApdu } from './apdu.js';
import { ApduError } from './errors.js';
import { SW1_BYTES_AVAILABLE, SW1_WARNING_CHANGED, SW1_WARNING_UNCHANGED, SW_OK } from './status-words.js';

/** A body that is not a well-formed expanded remote script; the message says what was wrong. */
export class RemoteScriptError extends Error {
  override name = 'RemoteScriptError';
}

/** TS 102 226 Table 5.2: Command Scripting template (expanded format, indefinite length). */
export const TAG_COMMAND_SCRIPT = 0xae;
/** TS 102 226 Table 5.3: Response Scripting template. */
export const TAG_RESPONSE_SCRIPT = 0xaf;
export const TAG_C_APDU = 0x22;
export const TAG_R_APDU = 0x23;
/** Number of executed C-APDUs (inside the response script). */
export const TAG_EXECUTED_COUNT = 0x80;

export interface ResponseScript {
  /** C-APDUs the card executed (the last one may have failed; execution stops at the first failing SW). */
  readonly executed: number;
  readonly responses: ResponseApdu[];
}

export function encodeCommandScript(commands: readonly CommandApdu[]): Uint8Array {
  return tlvIndefinite(TAG_COMMAND_SCRIPT, ...commands.map((c) => tlv(TAG_C_APDU, encodeCommand(c))));
}

export function encodeResponseScript(responses: readonly ResponseApdu[]): Uint8Array {
  if (responses.length > 0xff) throw new RemoteScriptError(`${responses.length} R-APDUs exceed 255`);
  return tlvIndefinite(
    TAG_RESPONSE_SCRIPT,
    tlv(TAG_EXECUTED_COUNT, Uint8Array.of(responses.length)),
    ...responses.map((r) => tlv(TAG_R_APDU, encodeResponse(r))),
  );
}

function outer(bytes: Uint8Array, tag: number, what: string): Tlv[] {
  try {
    const t = decodeTlv(bytes);
    if (t.tag !== tag)
      throw new RemoteScriptError(`${what}: expected tag ${tagName(tag)}, got ${tagName(t.tag)}`);
    if (t.indefinite !== true) {
      throw new RemoteScriptError(
        `${what}: tag ${tagName(tag)} must use the indefinite length (80 ... 00 00)`,
      );
    }
    return decodeTlvs(t.value);
  } catch (e) {
    if (e instanceof TlvError) throw new RemoteScriptError(`${what}: ${e.message}`);
    throw e;
  }
}

/** The C-APDUs of a command script, in order. */
export function decodeCommandScript(bytes: Uint8Array): CommandApdu[] {
  return outer(bytes, TAG_COMMAND_SCRIPT, 'command script').map((t, i) => {
    if (t.tag !== TAG_C_APDU)
      throw new RemoteScriptError(
        `command script: item ${i + 1} has tag ${tagName(t.tag)}, expected 22 (C-APDU)`,
      );
    try {
      return decodeCommand(t.value);
    } catch (e) {
      if (e instanceof ApduError)
        throw new RemoteScriptError(`command script: C-APDU ${i + 1}: ${e.message}`);
      throw e;
    }
  });
}

export function decodeResponseScript(bytes: Uint8Array): ResponseScript {
  const items = outer(bytes, TAG_RESPONSE_SCRIPT, 'response script');
  const count = items[0];
  if (count === undefined || count.tag !== TAG_EXECUTED_COUNT || count.value.length !== 1) {
    throw new RemoteScriptError('response script: must start with 80 01 <number of executed C-APDUs>');
  }
  const responses = items.slice(1).map((t, i) => {
    if (t.tag !== TAG_R_APDU)
      throw new RemoteScriptError(
        `response script: item ${i + 2} has tag ${tagName(t.tag)}, expected 23 (R-APDU)`,
      );
    try {
      return decodeResponse(t.value);
    } catch (e) {
      if (e instanceof ApduError)
        throw new RemoteScriptError(`response script: R-APDU ${i + 1}: ${e.message}`);
      throw e;
    }
  });
  if (responses.length !== count.value[0]) {
    throw new RemoteScriptError(
      `response script: 80 says ${count.value[0]} executed C-APDUs but ${responses.length} R-APDUs follow`,
    );
  }
  return { executed: count.value[0], responses };
}

/** TS 102 226 5.2.1: execution stops at an R-APDU whose SW is not 9000, 61xx, 62xx or 63xx. */
export function isScriptSuccess(sw: number): boolean {
  const sw1 = sw >> 8;
  return (
    sw === SW_OK ||
    sw1 === SW1_BYTES_AVAILABLE ||
    sw1 === SW1_WARNING_UNCHANGED ||
    sw1 === SW1_WARNING_CHANGED
  );
}

// GPC Amd B (RAM over HTTP) 3.3: the HTTP binding that carries these scripts between an agent and its server.
export const ADMIN_PROTOCOL = 'globalplatform-remote-admin/1.0';
export const HEADER_ADMIN_PROTOCOL = 'x-admin-protocol';
export const HEADER_ADMIN_FROM = 'x-admin-from';
export const HEADER_ADMIN_NEXT_URI = 'x-admin-next-uri';
export const HEADER_ADMIN_SCRIPT_STATUS = 'x-admin-script-status';
export const HEADER_ADMIN_RESUME = 'x-admin-resume';
/** ltku's own headers on the 204 that ends a session which ran a key-update job: its id, state, key version. */
export const HEADER_LTKU_JOB = 'x-ltku-job';
export const HEADER_LTKU_JOB_STATE = 'x-ltku-job-state';
export const HEADER_LTKU_KEY_VERSION = 'x-ltku-key-version';
export const CONTENT_TYPE_COMMAND_SCRIPT = 'application/vnd.globalplatform.card-content-mgt;version=1.0';
export const CONTENT_TYPE_RESPONSE_SCRIPT =
  'application/vnd.globalplatform.card-content-mgt-response;version=1.0';
/** X-Admin-Script-Status values (GPC Amd B 3.3.4). */
export type ScriptStatus = 'ok' | 'unknown-application' | 'not-a-security-domain' | 'security-error';

/** X-Admin-From of a card: //se-id/eid/<EID> (DESIGN.md 4.7). */
export function adminFromEid(eid: string): string {
  return `//se-id/eid/${eid}`;
}

/** The EID of an X-Admin-From value, or undefined when it is not //se-id/eid/<32 digits>. */
export function eidOfAdminFrom(value: string | undefined): string | undefined {
  const m = /^\/\/se-id\/eid\/([0-9]{32})$/.exec(value ?? '');
  return m === null ? undefined : m[1];
}

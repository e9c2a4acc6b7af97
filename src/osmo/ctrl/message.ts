// The Osmocom CTRL protocol's text messages (libosmocore src/ctrl/control_cmd.c ctrl_cmd_make and
// ctrl_cmd_parse3; osmo-gsm-manuals "Control interface"): `GET <id> <var>`, `SET <id> <var> <value>`,
// `GET_REPLY|SET_REPLY|TRAP <id> <var> <value>`, `ERROR <id> <reason>`, carried on IPA osmo extension 0x00.
import { OsmoError } from '../errors.js';

export const CTRL_GET = 'GET';
export const CTRL_SET = 'SET';
export const CTRL_GET_REPLY = 'GET_REPLY';
export const CTRL_SET_REPLY = 'SET_REPLY';
export const CTRL_TRAP = 'TRAP';
export const CTRL_ERROR = 'ERROR';
/** control_cmd.c: the id of an ERROR answering a request too malformed to read its id. */
export const CTRL_ERROR_ID_UNKNOWN = 'err';

export type CtrlMessage =
  | { readonly type: typeof CTRL_GET; readonly id: string; readonly variable: string }
  | { readonly type: typeof CTRL_SET; readonly id: string; readonly variable: string; readonly value: string }
  | {
      readonly type: typeof CTRL_GET_REPLY | typeof CTRL_SET_REPLY | typeof CTRL_TRAP;
      readonly id: string;
      readonly variable: string;
      readonly value: string;
    }
  | { readonly type: typeof CTRL_ERROR; readonly id: string; readonly reason: string };

const text = new TextEncoder();
const untext = new TextDecoder('utf-8', { fatal: true });

// libosmocore utils.c osmo_identifier_illegal_chars, '.' allowed as the separator (osmo_separated_identifiers_valid).
const ILLEGAL_IN_VARIABLE = /[\s,{}[\]()<>|~\\^`'"?=;/+*&%$#!\0]/;

/** control_cmd.c: a variable is non-empty identifiers separated by '.', none of the illegal characters. */
export function checkCtrlVariable(variable: string): void {
  if (
    variable.length === 0 ||
    ILLEGAL_IN_VARIABLE.test(variable) ||
    variable.split('.').some((p) => p === '')
  ) {
    throw new OsmoError(
      'ctrl',
      `CTRL variable ${JSON.stringify(variable.slice(0, 80))} is not a valid identifier`,
    );
  }
}

/** control_cmd.c id_str_valid: decimal digits. */
function checkId(id: string, type: string): void {
  if (!/^[0-9]+$/.test(id) && !(type === CTRL_ERROR && id === CTRL_ERROR_ID_UNKNOWN)) {
    throw new OsmoError('ctrl', `CTRL ${type} id ${JSON.stringify(id.slice(0, 20))} is not a decimal number`);
  }
}

export function encodeCtrl(message: CtrlMessage): Uint8Array {
  checkId(message.id, message.type);
  switch (message.type) {
    case CTRL_GET:
      checkCtrlVariable(message.variable);
      return text.encode(`${message.type} ${message.id} ${message.variable}`);
    case CTRL_SET:
      checkCtrlVariable(message.variable);
      // ctrl_cmd_parse3 reads a SET value up to the first newline; the value is never echoed here (keys).
      if (message.value.length === 0 || message.value.includes('\n')) {
        throw new OsmoError('ctrl', `CTRL SET ${message.variable}: the value must be one non-empty line`);
      }
      return text.encode(`${message.type} ${message.id} ${message.variable} ${message.value}`);
    case CTRL_GET_REPLY:
    case CTRL_SET_REPLY:
    case CTRL_TRAP:
      checkCtrlVariable(message.variable);
      return text.encode(`${message.type} ${message.id} ${message.variable} ${message.value}`);
    case CTRL_ERROR:
      return text.encode(`${message.type} ${message.id} ${message.reason}`);
  }
}

/** Splits off the next space-separated word; the rest after exactly one space. */
function word(s: string): [string, string | undefined] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

export function decodeCtrl(bytes: Uint8Array): CtrlMessage {
  let s: string;
  try {
    s = untext.decode(bytes);
  } catch {
    throw new OsmoError('ctrl', 'CTRL message is not UTF-8 text');
  }
  const [type, afterType] = word(s);
  if (afterType === undefined)
    throw new OsmoError('ctrl', `CTRL message without an id (type ${JSON.stringify(type.slice(0, 20))})`);
  const [id, rest] = word(afterType);
  checkId(id, type);
  switch (type) {
    case CTRL_ERROR:
      return { type, id, reason: rest ?? '' };
    case CTRL_GET: {
      const variable = rest ?? '';
      checkCtrlVariable(variable);
      return { type, id, variable };
    }
    case CTRL_SET:
    case CTRL_GET_REPLY:
    case CTRL_SET_REPLY:
    case CTRL_TRAP: {
      const [variable, value] = word(rest ?? '');
      checkCtrlVariable(variable);
      if (type === CTRL_SET && !value) throw new OsmoError('ctrl', `CTRL SET ${variable} without a value`);
      return { type, id, variable, value: value ?? '' };
    }
    default:
      throw new OsmoError('ctrl', `unknown CTRL message type ${JSON.stringify(type.slice(0, 20))}`);
  }
}

// ISO/IEC 7816-4 5.1 command-response pairs: cases 1-4, short and extended length fields.
import { ApduError } from './errors.js';

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (Nc = data.length); empty for cases 1 and 2. */
  readonly data: Uint8Array;
  /** Ne, the maximum number of response bytes expected (1..65536); undefined: no Le field (cases 1 and 3). */
  readonly ne?: number;
  /** Force extended length fields even when short ones would do. */
  readonly extended?: boolean;
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  readonly sw: number;
}

export const SHORT_MAX_NC = 255;
export const SHORT_MAX_NE = 256;
export const EXTENDED_MAX_NC = 65535;
export const EXTENDED_MAX_NE = 65536;

const EMPTY = new Uint8Array(0);

export function command(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array = EMPTY,
  ne?: number,
): CommandApdu {
  return { cla, ins, p1, p2, data, ne };
}

export function isExtended(c: CommandApdu): boolean {
  return c.extended === true || c.data.length > SHORT_MAX_NC || (c.ne ?? 0) > SHORT_MAX_NE;
}

function checkByte(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new ApduError(`${name} ${value} is not a byte`);
}

/** Encodes a command APDU in the shortest form ISO 7816-4 allows (extended when Nc > 255 or Ne > 256). */
export function encodeCommand(c: CommandApdu): Uint8Array {
  checkByte(c.cla, 'CLA');
  checkByte(c.ins, 'INS');
  checkByte(c.p1, 'P1');
  checkByte(c.p2, 'P2');
  const nc = c.data.length;
  const ne = c.ne;
  if (nc > EXTENDED_MAX_NC) throw new ApduError(`command data of ${nc} bytes exceeds 65535`);
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > EXTENDED_MAX_NE)) {
    throw new ApduError(`Ne ${ne} out of range 1..65536`);
  }
  const header = [c.cla, c.ins, c.p1, c.p2];
  const out: number[] = header;
  if (!isExtended(c)) {
    if (nc > 0) out.push(nc);
    const head = Uint8Array.from(out);
    const le = ne === undefined ? EMPTY : Uint8Array.of(ne === 256 ? 0 : ne);
    return join(head, c.data, le);
  }
  if (nc > 0) out.push(0, nc >> 8, nc & 0xff);
  const head = Uint8Array.from(out);
  let le = EMPTY;
  if (ne !== undefined) {
    const v = ne === 65536 ? 0 : ne;
    le = nc > 0 ? Uint8Array.of(v >> 8, v & 0xff) : Uint8Array.of(0, v >> 8, v & 0xff);
  }
  return join(head, c.data, le);
}

function join(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}

/** Decodes a command APDU of any of the seven cases (ISO/IEC 7816-4 5.1, table 1). */
export function decodeCommand(bytes: Uint8Array): CommandApdu {
  if (bytes.length < 4)
    throw new ApduError(`command APDU of ${bytes.length} bytes is shorter than its header`);
  const [cla, ins, p1, p2] = bytes;
  const body = bytes.subarray(4);
  const n = body.length;
  if (n === 0) return { cla, ins, p1, p2, data: EMPTY };
  if (n === 1) return { cla, ins, p1, p2, data: EMPTY, ne: body[0] || 256 };
  if (body[0] !== 0 || n < 3) {
    // short case 3 or 4
    const nc = body[0];
    if (nc === 0) throw new ApduError('short Lc of 0');
    if (n === 1 + nc) return { cla, ins, p1, p2, data: body.slice(1) };
    if (n === 2 + nc) return { cla, ins, p1, p2, data: body.slice(1, 1 + nc), ne: body[1 + nc] || 256 };
    throw new ApduError(`Lc ${nc} does not match the ${n - 1} bytes that follow it`);
  }
  // extended: body[0] == 0
  const v = (body[1] << 8) | body[2];
  if (n === 3) return { cla, ins, p1, p2, data: EMPTY, ne: v || 65536, extended: true };
  const nc = v;
  if (nc === 0) throw new ApduError('extended Lc of 0');
  if (n === 3 + nc) return { cla, ins, p1, p2, data: body.slice(3), extended: true };
  if (n === 5 + nc) {
    const le = (body[3 + nc] << 8) | body[4 + nc];
    return { cla, ins, p1, p2, data: body.slice(3, 3 + nc), ne: le || 65536, extended: true };
  }
  throw new ApduError(`extended Lc ${nc} does not match the ${n - 3} bytes that follow it`);
}

export function encodeResponse(r: ResponseApdu): Uint8Array {
  const out = new Uint8Array(r.data.length + 2);
  out.set(r.data, 0);
  out[r.data.length] = r.sw >> 8;
  out[r.data.length + 1] = r.sw & 0xff;
  return out;
}

export function decodeResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) throw new ApduError(`response APDU of ${bytes.length} bytes has no status word`);
  const n = bytes.length - 2;
  return { data: bytes.slice(0, n), sw: (bytes[n] << 8) | bytes[n + 1] };
}

// RFC 5280 value types on the one DER codec (crypto/der.ts): times (4.1.2.5) and directory strings; and that
// codec's reader as pki/ uses it, every decoding failure a CertificateError 'malformed'.
import { toHex } from '../bytes/index.js';
import { der, derReader, type DerNode } from '../crypto/index.js';
import { malformed } from './errors.js';

export {
  DER_BIT_STRING,
  DER_BOOLEAN,
  DER_INTEGER,
  DER_NULL,
  DER_OCTET_STRING,
  DER_OID,
  DER_SEQUENCE,
  DER_SET,
  der,
  derBitString,
  derBoolean,
  derContextConstructed,
  derContextPrimitive,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derUnsignedInteger,
  type DerNode,
} from '../crypto/index.js';

export const DER_UTF8_STRING = 0x0c;
export const DER_PRINTABLE_STRING = 0x13;
export const DER_T61_STRING = 0x14;
export const DER_IA5_STRING = 0x16;
export const DER_UTC_TIME = 0x17;
export const DER_GENERALIZED_TIME = 0x18;
export const DER_BMP_STRING = 0x1e;

/** The DER reader of pki/: errors are CertificateError 'malformed'. */
export const {
  decodeDer,
  decodeDerAll,
  derChildren,
  expectTag,
  derSequenceOf,
  readOid,
  readUnsignedInteger,
  readSmallInteger,
  readBitString,
  readBitStringBytes,
  readBoolean,
} = derReader(malformed);

const TIME_PATTERN = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

// RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ
export function readTime(node: DerNode | undefined, context: string): Date {
  if (node === undefined || (node.tag !== DER_UTC_TIME && node.tag !== DER_GENERALIZED_TIME)) {
    throw malformed(`${context}: UTCTime or GeneralizedTime expected`);
  }
  const text = String.fromCharCode(...node.value);
  const m = TIME_PATTERN.exec(text);
  const digitsOk = m !== null && m[1].length === (node.tag === DER_UTC_TIME ? 2 : 4);
  if (!digitsOk) throw malformed(`${context}: bad time ${JSON.stringify(text.slice(0, 20))}`);
  let year = Number(m[1]);
  if (node.tag === DER_UTC_TIME) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw malformed(`${context}: invalid date ${text}`);
  }
  return date;
}

/** A directory string (UTF8String, PrintableString, IA5String, T61String, BMPString) as text. */
export function readString(node: DerNode): string {
  switch (node.tag) {
    case DER_UTF8_STRING:
      return new TextDecoder('utf-8', { fatal: false }).decode(node.value);
    case DER_PRINTABLE_STRING:
    case DER_IA5_STRING:
    case DER_T61_STRING:
      return String.fromCharCode(...node.value);
    case DER_BMP_STRING: {
      let s = '';
      for (let i = 0; i + 1 < node.value.length; i += 2)
        s += String.fromCharCode((node.value[i] << 8) | node.value[i + 1]);
      return s;
    }
    default:
      return `#${toHex(node.raw)}`;
  }
}

export const derUtf8String = (text: string): Uint8Array =>
  der(DER_UTF8_STRING, new TextEncoder().encode(text));
export const derPrintableString = (text: string): Uint8Array =>
  der(
    DER_PRINTABLE_STRING,
    Uint8Array.from(text, (c) => c.charCodeAt(0)),
  );

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

// RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050
export function derTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(
    date.getUTCMinutes(),
  )}${pad(date.getUTCSeconds())}Z`;
  const text = y >= 1950 && y < 2050 ? `${pad(y % 100)}${rest}` : `${pad(y, 4)}${rest}`;
  const tag = y >= 1950 && y < 2050 ? DER_UTC_TIME : DER_GENERALIZED_TIME;
  return der(
    tag,
    Uint8Array.from(text, (c) => c.charCodeAt(0)),
  );
}

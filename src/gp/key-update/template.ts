// Strict reading of the key update templates: exactly one outer TLV, known child tags only, each at most once,
// in any order (DESIGN.md 4.5: "parsers ignore tag order inside a template").
import { decodeTlv, decodeTlvs, tagName, TlvError, type Tlv } from '../../bytes/index.js';
import { KeyUpdateFormatError } from './errors.js';

export type Fields = ReadonlyMap<number, Uint8Array>;

/** The children of `outerTag` in `bytes` (which must be that one TLV and nothing else). */
export function readTemplate(bytes: Uint8Array, outerTag: number, allowed: readonly number[]): Fields {
  let outer: Tlv;
  try {
    outer = decodeTlv(bytes);
  } catch (e) {
    if (e instanceof TlvError) throw new KeyUpdateFormatError(`${tagName(outerTag)}: ${e.message}`);
    throw e;
  }
  if (outer.tag !== outerTag || outer.indefinite === true) {
    throw new KeyUpdateFormatError(`expected tag ${tagName(outerTag)}, got ${tagName(outer.tag)}`);
  }
  return readFields(outer.value, tagName(outerTag), allowed);
}

/** The TLVs of `value` by tag; unknown or repeated tags are errors naming `context`. */
export function readFields(value: Uint8Array, context: string, allowed: readonly number[] | 'any'): Fields {
  let list: Tlv[];
  try {
    list = decodeTlvs(value);
  } catch (e) {
    if (e instanceof TlvError) throw new KeyUpdateFormatError(`${context}: ${e.message}`);
    throw e;
  }
  const fields = new Map<number, Uint8Array>();
  for (const t of list) {
    if (allowed !== 'any' && !allowed.includes(t.tag))
      throw new KeyUpdateFormatError(`${context}: unexpected tag ${tagName(t.tag)}`);
    if (fields.has(t.tag)) throw new KeyUpdateFormatError(`${context}: tag ${tagName(t.tag)} appears twice`);
    if (t.indefinite === true)
      throw new KeyUpdateFormatError(`${context}: tag ${tagName(t.tag)} has no length`);
    fields.set(t.tag, t.value);
  }
  return fields;
}

function checkLength(
  value: Uint8Array,
  tag: number,
  context: string,
  lengths: readonly number[],
): Uint8Array {
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new KeyUpdateFormatError(
      `${context}: tag ${tagName(tag)} has ${value.length} bytes, expected ${lengths.join(' or ')}`,
    );
  }
  return value;
}

/** A mandatory field, with one of the allowed lengths. */
export function required(fields: Fields, tag: number, context: string, ...lengths: number[]): Uint8Array {
  const v = fields.get(tag);
  if (v === undefined) throw new KeyUpdateFormatError(`${context}: mandatory tag ${tagName(tag)} missing`);
  return checkLength(v, tag, context, lengths);
}

export function optional(
  fields: Fields,
  tag: number,
  context: string,
  ...lengths: number[]
): Uint8Array | undefined {
  const v = fields.get(tag);
  return v === undefined ? undefined : checkLength(v, tag, context, lengths);
}

/** A one-byte field, optionally limited to `allowed` values. */
export function optionalByte(
  fields: Fields,
  tag: number,
  context: string,
  allowed?: (v: number) => boolean,
): number | undefined {
  const v = optional(fields, tag, context, 1);
  if (v === undefined) return undefined;
  if (allowed !== undefined && !allowed(v[0])) {
    throw new KeyUpdateFormatError(`${context}: tag ${tagName(tag)} value ${v[0]} out of range`);
  }
  return v[0];
}

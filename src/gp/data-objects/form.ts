// DESIGN.md 4.3: a card answers E0 and BF21 either as GP specifies (wrapped: E0{C0...}, BF21{certificates}) or
// bare, as a YubiKey does (C0... and concatenated certificates). Hosts accept both.
import { decodeTlvs, TlvError, tagName, type Tlv } from '../../bytes/index.js';
import { DataObjectError } from './errors.js';

export type DataObjectForm = 'gp' | 'bare';
export const DATA_OBJECT_FORMS: readonly DataObjectForm[] = ['gp', 'bare'];

export function parseList(bytes: Uint8Array, context: string): Tlv[] {
  try {
    return decodeTlvs(bytes);
  } catch (e) {
    if (e instanceof TlvError) throw new DataObjectError(`${context}: ${e.message}`);
    throw e;
  }
}

/**
 * The value of a data object answered in either form: the content of `tag` when `bytes` is exactly that one TLV,
 * otherwise `bytes` itself (the bare form).
 */
export function unwrap(bytes: Uint8Array, tag: number): { value: Uint8Array; form: DataObjectForm } {
  const list = parseList(bytes, tagName(tag));
  if (list.length === 1 && list[0].tag === tag && list[0].indefinite !== true) {
    return { value: list[0].value, form: 'gp' };
  }
  return { value: bytes, form: 'bare' };
}

// A subscriber named on the command line by IMSI (up to 15 digits, TS 23.003 2.2) or by ICCID (18 to 20 digits,
// ITU-T E.118): the HSS is keyed by IMSI, so an ICCID is looked up among the subscribers.
import type { Hss } from '../../../../hss/index.js';
import { UsageError } from '../../../errors.js';

/** TS 23.003 2.3: an IMSI has at most 15 digits; anything longer is an ICCID. */
const IMSI_MAX_DIGITS = 15;
const ICCID_DIGITS = /^[0-9]{18,20}$/;
const PAGE = 1000;

/** The IMSI of the subscriber an IMSI or ICCID names. */
export async function resolveImsi(hss: Hss, id: string): Promise<string> {
  if (!/^[0-9]+$/.test(id))
    throw new UsageError(`expected an IMSI or an ICCID (digits), not ${JSON.stringify(id)}`);
  if (id.length <= IMSI_MAX_DIGITS) return id;
  if (!ICCID_DIGITS.test(id))
    throw new UsageError(`${id.length} digits is neither an IMSI (up to 15) nor an ICCID (18-20)`);
  for (let offset = 0; ; offset += PAGE) {
    const page = await hss.list(PAGE, offset);
    const found = page.find((v) => v.iccid === id);
    if (found !== undefined) return found.imsi;
    if (page.length < PAGE) throw new UsageError(`no subscriber has ICCID ${id}`);
  }
}

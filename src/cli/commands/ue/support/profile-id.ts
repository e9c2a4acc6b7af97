// Which profile of the card a `ltku ue` command means: --iccid or --imsi (either names a subscriber, issue 14);
// an IMSI is looked up among the card's USIMs.
import type { CardChannel } from '../../../../iso7816/index.js';
import { listUsimProfiles } from '../../../../ue/index.js';
import type { OptionValues } from '../../../command.js';
import { UsageError } from '../../../errors.js';
import { exactlyOne, requireString } from '../../../options.js';

export const PROFILE_OPTIONS = {
  iccid: { type: 'string' },
  imsi: { type: 'string' },
} as const;
export const PROFILE_USAGE = '(--iccid ICCID | --imsi IMSI)';

/** E.118: 19 or 20 digits as the card's EF.ICCID holds them; TS 23.003 2.2: an IMSI has 6 to 15 digits. */
const ICCID_PATTERN = /^[0-9]{19,20}$/;
const IMSI_PATTERN = /^[0-9]{6,15}$/;

/** Checks the option's form before the card is opened (exit 2 without touching the card). */
export function checkProfileOption(values: OptionValues): void {
  const which = exactlyOne(values, ['iccid', 'imsi']);
  const v = requireString(values, which);
  if (which === 'iccid' && !ICCID_PATTERN.test(v)) throw new UsageError('--iccid: expected 19 or 20 digits');
  if (which === 'imsi' && !IMSI_PATTERN.test(v)) throw new UsageError('--imsi: expected 6 to 15 digits');
}

/** The ICCID of the profile the options name. */
export async function profileIccid(channel: CardChannel, values: OptionValues): Promise<string> {
  checkProfileOption(values);
  if (values.iccid !== undefined) return values.iccid as string;
  const imsi = values.imsi as string;
  const found = (await listUsimProfiles(channel)).find((p) => p.imsi === imsi);
  if (found === undefined) throw new Error(`no USIM on the card has IMSI ${imsi}`);
  return found.iccid;
}

/** The ICCIDs of the card's profiles with these IMSIs (`ue sync --imsi`, repeatable). */
export async function iccidsOfImsis(channel: CardChannel, imsis: readonly string[]): Promise<string[]> {
  const profiles = await listUsimProfiles(channel);
  return imsis.map((imsi) => {
    const found = profiles.find((p) => p.imsi === imsi);
    if (found === undefined) throw new UsageError(`--imsi: no USIM on the card has IMSI ${imsi}`);
    return found.iccid;
  });
}

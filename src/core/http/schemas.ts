// Zod schemas of the core's attach API (contracts.md "Core network HTTP API"); bodies are strict, so a misspelt
// field is a 400 that names it.
import { z } from 'zod';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function hexBytes(...lengths: number[]) {
  const digits = lengths.map((n) => 2 * n);
  return z
    .string()
    .regex(HEX, { message: 'expected hex digits' })
    .refine((s) => digits.includes(s.length), { message: `expected ${digits.join(' or ')} hex digits` });
}

export const imsiSchema = z.string().regex(/^[0-9]{15}$/, { message: 'expected 15 digits' });
/** TS 24.501 9.12.1 / TS 33.501 6.1.1.4: "5G:mnc<MNC>.mcc<MCC>.3gppnetwork.org" (MNC padded to 3 digits). */
export const servingNetworkNameSchema = z.string().regex(/^5G:mnc[0-9]{3}\.mcc[0-9]{3}\.3gppnetwork\.org$/, {
  message: 'expected 5G:mnc<3 digits>.mcc<3 digits>.3gppnetwork.org',
});
export const attachIdSchema = z.string().regex(/^[0-9a-f]{32}$/, { message: 'expected 32 hex digits' });

export const attachRequestSchema = z.strictObject({
  imsi: imsiSchema,
  servingNetworkName: servingNetworkNameSchema.optional(),
});

/** RES* is 16 bytes (TS 33.501 A.4); AUTS is SQN xor AK* (6) and MAC-S (8, or 16/32 with TUAK). */
export const attachResponseSchema = z.strictObject({
  res: hexBytes(16).optional(),
  failure: z.enum(['MAC_FAILURE', 'SYNCH_FAILURE']).optional(),
  auts: hexBytes(14, 22, 38).optional(),
});

/** DESIGN.md 7: the attach token of the attach being ended; a missing or wrong one is a 403, not a 400. */
export const detachRequestSchema = z.strictObject({
  imsi: imsiSchema,
  attachToken: z.string().max(256).optional(),
});

export const pushRequestSchema = z.strictObject({
  type: z.enum(['key-update-pending']),
  url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
});

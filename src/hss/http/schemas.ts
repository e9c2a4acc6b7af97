// Zod schemas of the HSS HTTP API (contracts.md): requests are validated with them (400 naming the field) and
// the OpenAPI description is generated from them. Admin bodies are strict (a misspelt field is an error);
// Nudm bodies ignore fields they do not know, as NF consumers may send more (TS 29.501 5.2.7).
import { z } from 'zod';
import { SUBSCRIBER_LOOKUP_LIMIT } from '../client/wire.js';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** A hex string of one of the byte lengths given. */
export function hexBytes(...lengths: number[]) {
  const digits = lengths.map((n) => 2 * n);
  return z
    .string()
    .regex(HEX, { message: 'expected hex digits' })
    .refine((s) => digits.includes(s.length), { message: `expected ${digits.join(' or ')} hex digits` });
}

export const supiSchema = z.string().regex(/^imsi-[0-9]{15}$/, { message: 'expected imsi-<15 digits>' });
export const imsiSchema = z.string().regex(/^[0-9]{15}$/, { message: 'expected 15 digits' });
/** Path parameters. */
export const supiParams = z.object({ supi: supiSchema });
export const imsiParams = z.object({ imsi: imsiSchema });
const iccid = z.string().regex(/^[0-9]{19,20}$/, { message: 'expected 19 or 20 digits' });
const keyVersion = z.number().int().min(1).max(255);
const transactionId = z.string().regex(/^[0-9a-fA-F]{32}$/, { message: 'expected 32 hex digits' });
const mcc = z.string().regex(/^[0-9]{3}$/, { message: 'expected 3 digits' });
const mnc = z.string().regex(/^[0-9]{2,3}$/, { message: 'expected 2 or 3 digits' });

export const tuakParamsSchema = z.strictObject({
  keccakIterations: z.number().int().optional(),
  macLength: z.number().int().optional(),
  resLength: z.number().int().optional(),
  ckLength: z.number().int().optional(),
  ikLength: z.number().int().optional(),
});

const milenageKeys = { algorithm: z.literal('milenage'), k: hexBytes(16), opc: hexBytes(16) };
const tuakKeys = {
  algorithm: z.literal('tuak'),
  k: hexBytes(16, 32),
  topc: hexBytes(32),
  tuak: tuakParamsSchema.optional(),
};

function withKeys<T extends z.ZodRawShape>(common: T) {
  return z.discriminatedUnion('algorithm', [
    z.strictObject({ ...common, ...milenageKeys }),
    z.strictObject({ ...common, ...tuakKeys }),
  ]);
}

export const resynchronizationInfoSchema = z.object({ rand: hexBytes(16), auts: hexBytes(14, 22, 38) });

export const authenticationInfoRequestSchema = z.object({
  servingNetworkName: z.string().min(1).max(255),
  resynchronizationInfo: resynchronizationInfoSchema.optional(),
});

export const epsAuthenticationInfoRequestSchema = z.object({
  servingNetworkId: z.object({ mcc, mnc }),
  resynchronizationInfo: resynchronizationInfoSchema.optional(),
});

export const authEventSchema = z.object({
  success: z.boolean(),
  rand: hexBytes(16),
  authType: z.enum(['5G_AKA', 'EPS_AKA']),
  servingNetworkName: z.string().optional(),
  failure: z.enum(['MAC_FAILURE']).optional(),
});

export const newSubscriberSchema = withKeys({
  imsi: imsiSchema,
  iccid: iccid.optional(),
  keyVersion: keyVersion.optional(),
  amf: hexBytes(2).optional(),
});

export const subscriberPatchSchema = z.strictObject({ iccid: iccid.optional(), amf: hexBytes(2).optional() });

export const candidateSchema = withKeys({ keyVersion, transactionId });

export const transactionSchema = z.strictObject({ transactionId });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  /** Only subscribers with a staged candidate (DESIGN.md 6 step 4: the server's reconciler). */
  candidate: z.enum(['true', 'false']).optional(),
});

/** Issue 11 (contracts.md): the batch lookup, 1..SUBSCRIBER_LOOKUP_LIMIT IMSIs. */
export const subscriberLookupSchema = z.strictObject({
  imsis: z
    .array(imsiSchema)
    .min(1, { message: 'expected at least 1 IMSI' })
    .max(SUBSCRIBER_LOOKUP_LIMIT, { message: `expected at most ${SUBSCRIBER_LOOKUP_LIMIT} IMSIs` }),
});

// Answers (for the OpenAPI description).
const hex = z.string().regex(HEX);

export const authenticationInfoResultSchema = z.object({
  authType: z.literal('5G_AKA'),
  supi: supiSchema,
  authenticationVector: z.object({
    avType: z.literal('5G_HE_AKA'),
    rand: hex,
    autn: hex,
    xresStar: hex,
    kausf: hex,
  }),
});

export const epsAuthenticationInfoResultSchema = z.object({
  authType: z.literal('EPS_AKA'),
  supi: supiSchema,
  authenticationVector: z.object({
    avType: z.literal('EPS_AKA'),
    rand: hex,
    autn: hex,
    xres: hex,
    kasme: hex,
  }),
});

export const subscriberViewSchema = z.object({
  imsi: imsiSchema,
  iccid: iccid.nullable(),
  algorithm: z.enum(['milenage', 'tuak']).nullable(),
  activeVersion: keyVersion.nullable(),
  activeTransactionId: hex
    .optional()
    .describe('the transaction whose commit or promotion made the active keys (DESIGN.md 6)'),
  candidate: z.object({ version: keyVersion, transactionId: hex, stagedAt: z.string() }).optional(),
  tuak: tuakParamsSchema.optional(),
  amf: hex,
  sqn: z.number().int().describe('SQN_HE, TS 33.102 Annex C (48 bits)'),
  updatedAt: z.string(),
});

export const subscriberListSchema = z.object({ subscribers: z.array(subscriberViewSchema) });

export const auditSchema = z.object({
  events: z.array(
    z.object({
      at: z.string(),
      event: z.string(),
      keyVersion: z.number().int().nullable(),
      transactionId: hex.optional(),
      actor: z.string(),
    }),
  ),
});

// Issue 13, DESIGN.md 7: the admin API of card-management jobs as one route table (role operator; the actor of
// every change is the authenticated principal). Schemas validate requests (400 naming the field) and describe the
// routes in /openapi.json.
import { z } from 'zod';
import { ROLE_OPERATOR } from '../../auth/index.js';
import { route, type Route } from '../../http/index.js';
import { ADMIN_PREFIX } from '../admin-api.js';
import { CARD_JOB_KINDS, CARD_JOB_STATES } from './job.js';
import {
  MAX_CARD_JOB_BATCH,
  type CardJobOrder,
  type CardManagementService,
  type CardSelection,
} from './service.js';

export const CARD_JOBS_PATH = `${ADMIN_PREFIX}/card-jobs`;

const eid = z.string().regex(/^[0-9]{32}$/, 'expected 32 digits');
const serial = z.string().regex(/^([0-9a-fA-F]{2}){1,21}$/, 'expected 1 to 21 bytes of hex');
const kvn = z.number().int().min(1).max(254);
const orderSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ca-kloc-rotation'),
    kvn,
    curve: z.string().min(1),
    publicKey: z.string().regex(/^04([0-9a-fA-F]{2})+$/, 'expected an uncompressed point in hex (04...)'),
  }),
  z.strictObject({
    kind: z.literal('deny-list'),
    mode: z.enum(['add', 'replace']),
    serials: z.array(serial).max(1000),
  }),
  z.strictObject({
    kind: z.literal('oce-allowlist'),
    kid: z.union([z.literal(0x10), z.literal(0x11), z.literal(0x15)]),
    kvn,
    serials: z.array(serial).max(1000),
  }),
]);
const createSchema = z
  .strictObject({
    eids: z.array(eid).min(1).max(MAX_CARD_JOB_BATCH).optional(),
    cards: z.union([z.literal('all'), z.strictObject({ batch: z.string().min(1).max(64) })]).optional(),
    order: orderSchema,
    batch: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1 to 64 of A-Z a-z 0-9 . _ -')
      .optional(),
  })
  .refine((b) => (b.eids === undefined) !== (b.cards === undefined), 'give exactly one of eids, cards');
const kindSchema = z.enum(CARD_JOB_KINDS as [string, ...string[]]);
const stateSchema = z.enum(CARD_JOB_STATES as [string, ...string[]]);
const listQuery = z.object({
  kind: kindSchema.optional(),
  state: stateSchema.optional(),
  eid: eid.optional(),
  batch: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});
const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex digits') });

// Answers (for the OpenAPI description).
const cardJobSchema = z.object({
  id: z.string(),
  eid: z.string(),
  kind: kindSchema,
  state: stateSchema,
  payload: z.record(z.string(), z.unknown()),
  generation: z.number().int(),
  batch: z.string().optional(),
  history: z.array(z.object({ state: stateSchema, at: z.string(), detail: z.string().optional() })),
  error: z.string().optional(),
  securityAlarm: z.boolean(),
  sessions: z.number().int(),
  createdBy: z.string(),
  attempts: z.number().int(),
  consecutiveFailures: z.number().int(),
  lastAttemptAt: z.string().optional(),
  lastAttemptError: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const batchSchema = z.object({
  created: z.number().int(),
  jobs: z.array(cardJobSchema),
  refused: z.array(z.object({ eid: z.string(), status: z.number().int(), detail: z.string() })),
});
const countsSchema = z.object({
  counts: z.record(z.string(), z.record(z.string(), z.number().int())),
  securityAlarms: z.number().int(),
});

const asOperator = [ROLE_OPERATOR] as const;
const theJob = { status: 200, description: 'the card-management job', schema: cardJobSchema };

export function cardManagementRoutes(service: CardManagementService): Route[] {
  return [
    route({
      method: 'POST',
      path: CARD_JOBS_PATH,
      summary:
        'A card-management job (CA-KLOC rotation, deny list, OCE allowlist) per card of {eids}, or of the inventory ({cards: "all"} or {cards: {batch}}); an open job of the same kind takes a newer deny list or allowlist; 409 when every card is refused',
      roles: asOperator,
      body: createSchema,
      ok: {
        status: 201,
        description: 'the jobs created (or merged into) and those refused',
        schema: batchSchema,
      },
      answers: { 409: { description: 'every EID refused', schema: batchSchema } },
      errors: [400],
      handler: async ({ body, actor, reply }) => {
        const selection: CardSelection =
          body.eids !== undefined ? { eids: body.eids } : { cards: body.cards as 'all' | { batch: string } };
        const result = await service.createFor(selection, body.order as CardJobOrder, actor, body.batch);
        if (result.created === 0) reply.code(409);
        return result;
      },
    }),
    route({
      method: 'GET',
      path: CARD_JOBS_PATH,
      summary: 'List card-management jobs (kind, state, eid, batch; limit, offset)',
      roles: asOperator,
      query: listQuery,
      ok: { status: 200, description: 'a page of jobs', schema: z.object({ jobs: z.array(cardJobSchema) }) },
      handler: async ({ query }) => {
        const { limit, offset, ...filter } = query;
        return {
          jobs: await service.list(filter as Parameters<CardManagementService['list']>[0], {
            ...(limit === undefined ? {} : { limit }),
            ...(offset === undefined ? {} : { offset }),
          }),
        };
      },
    }),
    route({
      method: 'GET',
      path: `${CARD_JOBS_PATH}/counts`,
      summary: 'Jobs per kind and state (of one {batch}, or of all)',
      roles: asOperator,
      query: z.object({ batch: z.string().max(64).optional() }),
      ok: { status: 200, description: 'counts', schema: countsSchema },
      handler: async ({ query }) => ({
        counts: await service.counts(query.batch),
        securityAlarms: service.securityAlarms,
      }),
    }),
    route({
      method: 'GET',
      path: `${CARD_JOBS_PATH}/{id}`,
      summary: 'One card-management job with its state history',
      roles: asOperator,
      params: idParams,
      ok: theJob,
      errors: [404],
      handler: async ({ params }) => service.get(params.id),
    }),
    route({
      method: 'POST',
      path: `${CARD_JOBS_PATH}/{id}/cancel`,
      summary: 'Cancel a card-management job that has not reached the card (409 after)',
      roles: asOperator,
      params: idParams,
      ok: theJob,
      errors: [404, 409],
      handler: async ({ params, actor }) => service.cancel(params.id, actor),
    }),
  ];
}

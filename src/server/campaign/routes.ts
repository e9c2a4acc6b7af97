// Issue 11, DESIGN.md 7: the campaign routes of the admin API (role operator; the actor is the principal).
import { z } from 'zod';
import { ROLE_OPERATOR } from '../../auth/index.js';
import { route, type Route } from '../../http/index.js';
import { BATCH_ID } from '../inventory.js';
import { parseWindow, type CampaignOptions } from './campaign.js';
import type { CampaignService } from './service.js';

const PREFIX = '/admin/v1/campaigns';
/** A file selection in one request (about 1 MiB of JSON); larger selections: an IMSI range or a batch. */
export const MAX_SELECTION_LINES = 40_000;
const MAX_RATE = 100_000;
const MAX_CONCURRENCY = 100_000;
const MAX_ATTEMPTS = 1_000;
const REPORT_PAGE_MAX = 10_000;

const imsi = z.string().regex(/^[0-9]{15}$/, 'expected 15 digits');
const selectionSchema = z.union([
  z.strictObject({ lines: z.array(z.string().max(200)).min(1).max(MAX_SELECTION_LINES) }),
  z.strictObject({ imsiRange: z.strictObject({ first: imsi, last: imsi }) }),
  z.strictObject({ batch: z.string().regex(BATCH_ID, 'expected letters, digits, . _ - (1..64)') }),
]);
const optionsSchema = z.strictObject({
  rate: z.number().positive().max(MAX_RATE).optional(),
  concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).optional(),
  maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS).optional(),
  delivery: z.enum(['push', 'poll']).optional(),
  window: z
    .string()
    .refine((w) => parseWindow(w) !== undefined, 'expected HH:MM-HH:MM (UTC), start and end differing')
    .optional(),
});
const createSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  selection: selectionSchema,
  options: optionsSchema.optional(),
  start: z.boolean().optional(),
});
const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex digits') });
/** A member's position in its selection: a PostgreSQL `int` (a larger `after` could only fail in the database). */
const MEMBER_SEQ_MAX = 2_147_483_647;
const reportQuery = z.object({
  after: z.coerce.number().int().min(-1).max(MEMBER_SEQ_MAX).optional(),
  limit: z.coerce.number().int().min(1).max(REPORT_PAGE_MAX).optional(),
});

const countsSchema = z.object({
  waiting: z.number().int(),
  feeding: z.number().int(),
  open: z.number().int(),
  rotated: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});
const statusSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(['created', 'running', 'paused', 'cancelled', 'completed']),
  total: z.number().int(),
  counts: countsSchema,
  done: z.number().int(),
  rate: z.number(),
  etaSeconds: z.number().int().optional(),
  activeSeconds: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
const reportSchema = z.object({
  members: z.array(
    z.object({
      seq: z.number().int(),
      iccid: z.string(),
      imsi: z.string(),
      state: z.string(),
      keyVersion: z.number().int().optional(),
      attempts: z.number().int(),
      reason: z.string().optional(),
      detail: z.string().optional(),
      jobId: z.string().optional(),
    }),
  ),
  next: z.number().int().optional(),
});

const asOperator = [ROLE_OPERATOR] as const;
const theCampaign = {
  status: 200,
  description: 'the campaign: counts by state, rate, ETA',
  schema: statusSchema,
};

/** The routes; none when the server runs without campaigns. */
export function campaignRoutes(campaigns: CampaignService | undefined): Route[] {
  if (campaigns === undefined) return [];
  const verb = (name: 'start' | 'pause' | 'resume' | 'cancel', summary: string) =>
    route({
      method: 'POST',
      path: `${PREFIX}/{id}/${name}`,
      summary,
      roles: asOperator,
      params: idParams,
      ok: theCampaign,
      errors: [404, 409],
      handler: async ({ params, actor }) => campaigns[name](params.id, actor),
    });
  return [
    route({
      method: 'POST',
      path: PREFIX,
      summary:
        'Create a campaign from {selection: {lines} | {imsiRange: {first, last}} | {batch}}; a bad line refuses it all (400 naming the line)',
      roles: asOperator,
      body: createSchema,
      ok: { ...theCampaign, status: 201 },
      handler: async ({ body, actor }) => {
        const { window, ...rest } = body.options ?? {};
        const options: Partial<CampaignOptions> = {
          ...rest,
          ...(window === undefined ? {} : { window: parseWindow(window) }),
        };
        return campaigns.create(
          {
            selection: body.selection,
            options,
            ...(body.name === undefined ? {} : { name: body.name }),
            ...(body.start === undefined ? {} : { start: body.start }),
          },
          actor,
        );
      },
    }),
    route({
      method: 'GET',
      path: PREFIX,
      summary: 'Every campaign, newest first, with its counts',
      roles: asOperator,
      ok: {
        status: 200,
        description: 'the campaigns',
        schema: z.object({ campaigns: z.array(statusSchema) }),
      },
      handler: async () => ({ campaigns: await campaigns.list() }),
    }),
    route({
      method: 'GET',
      path: `${PREFIX}/{id}`,
      summary: 'One campaign: counts by member state, rate (members/s), ETA',
      roles: asOperator,
      params: idParams,
      ok: theCampaign,
      errors: [404],
      handler: async ({ params }) => campaigns.status(params.id),
    }),
    verb('start', 'Start feeding jobs (created -> running)'),
    verb('pause', 'No new jobs (running -> paused); jobs already created go on'),
    verb('resume', 'Feed again (paused -> running)'),
    verb('cancel', 'Cancel: waiting members and jobs not yet at the card; jobs past BF70 finish'),
    route({
      method: 'GET',
      path: `${PREFIX}/{id}/report`,
      summary: 'The per-subscriber report in selection order, a page at a time (after, limit)',
      roles: asOperator,
      params: idParams,
      query: reportQuery,
      ok: { status: 200, description: 'a page of members', schema: reportSchema },
      errors: [404],
      handler: async ({ params, query }) => campaigns.report(params.id, query),
    }),
  ];
}

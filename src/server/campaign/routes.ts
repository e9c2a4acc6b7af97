// Issue 11, DESIGN.md 7: the campaign routes of the admin API (role operator; the actor is the principal).
import { z } from 'zod';
import { ROLE_OPERATOR } from '../../auth/index.js';
import { route, type Route } from '../../http/index.js';
import { JobError } from '../errors.js';
import { BATCH_ID } from '../inventory.js';
import { parseWindow, type CampaignOptions } from './campaign.js';
import type { CampaignService } from './service.js';

const PREFIX = '/admin/v1/campaigns';
/** A file selection in one request (about 1 MiB of JSON); larger files: a draft and its chunks. */
export const MAX_SELECTION_LINES = 40_000;
/** Issue 11: lines of a draft's file in one append (a few hundred KiB of JSON). */
export const MAX_CHUNK_LINES = 10_000;
/** A line of a file as the server takes it (longer: the CLI sends its first field). */
const MAX_LINE_LENGTH = 200;
/** Chunks of one draft at most (a member position is a PostgreSQL int; a chunk holds a line at least). */
const MAX_CHUNKS = 1_000_000;
const MAX_RATE = 100_000;
const MAX_CONCURRENCY = 100_000;
const MAX_ATTEMPTS = 1_000;
const REPORT_PAGE_MAX = 10_000;

const imsi = z.string().regex(/^[0-9]{15}$/, 'expected 15 digits');
const selectionSchema = z.union([
  z.strictObject({ lines: z.array(z.string().max(MAX_LINE_LENGTH)).min(1).max(MAX_SELECTION_LINES) }),
  // Issue 11: a draft; the file follows in chunks (POST .../{id}/members), then POST .../{id}/seal.
  z.strictObject({ chunks: z.literal(true) }),
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
const chunkSchema = z.strictObject({
  chunk: z.number().int().min(0).max(MAX_CHUNKS),
  firstLine: z.number().int().min(1),
  lines: z.array(z.string().max(MAX_LINE_LENGTH)).min(1).max(MAX_CHUNK_LINES),
});
const sealSchema = z.strictObject({
  chunks: z.number().int().min(1).max(MAX_CHUNKS),
  start: z.boolean().optional(),
});
const appendSchema = z.object({
  id: z.string(),
  state: z.string(),
  chunks: z.number().int(),
  lines: z.number().int(),
  total: z.number().int(),
  duplicates: z.number().int(),
  problems: z.number().int(),
  replayed: z.boolean(),
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
  /** Issue 11 F2: open members whose jobs failures before authentication hold up, outside the concurrency. */
  stalled: z.number().int(),
  rotated: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});
const statusSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(['draft', 'created', 'running', 'paused', 'cancelled', 'completed']),
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
        const name = body.name === undefined ? {} : { name: body.name };
        if ('chunks' in body.selection) {
          if (body.start !== undefined)
            throw new JobError(
              'invalid',
              'a draft is started by its seal (POST .../{id}/seal {start: true})',
            );
          return campaigns.createDraft({ options, ...name }, actor);
        }
        return campaigns.create(
          {
            selection: body.selection,
            options,
            ...name,
            ...(body.start === undefined ? {} : { start: body.start }),
          },
          actor,
        );
      },
    }),
    route({
      method: 'POST',
      path: `${PREFIX}/{id}/members`,
      summary:
        "Append one chunk of a draft's file {chunk, firstLine, lines} (chunk n once, in order: a replay is answered, not appended again); a bad line refuses the draft",
      roles: asOperator,
      params: idParams,
      body: chunkSchema,
      ok: { status: 200, description: "the draft's upload so far", schema: appendSchema },
      errors: [404, 409],
      handler: async ({ params, body }) => campaigns.append(params.id, body),
    }),
    route({
      method: 'POST',
      path: `${PREFIX}/{id}/seal`,
      summary:
        'Draft -> created once its {chunks} chunks came and no line was bad (start: true starts it); 400 naming the bad lines',
      roles: asOperator,
      params: idParams,
      body: sealSchema,
      ok: theCampaign,
      errors: [404, 409],
      handler: async ({ params, body, actor }) =>
        campaigns.seal(
          params.id,
          { chunks: body.chunks, ...(body.start === undefined ? {} : { start: body.start }) },
          actor,
        ),
    }),
    route({
      method: 'DELETE',
      path: `${PREFIX}/{id}`,
      summary: 'Delete a draft (refused, or abandoned mid-upload) and its members; 409 for a campaign',
      roles: asOperator,
      params: idParams,
      ok: {
        status: 200,
        description: 'the draft is gone',
        schema: z.object({ id: z.string(), deleted: z.number().int() }),
      },
      errors: [404, 409],
      handler: async ({ params, actor }) => campaigns.deleteDraft(params.id, actor),
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

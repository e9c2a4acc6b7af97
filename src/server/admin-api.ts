// The Provisioning Server's admin API as one table (DESIGN.md 7): every route for role operator, the actor of
// every change the principal. Each entry's schemas validate the request (400 naming the field) and generate
// /openapi.json with the path parameters, the bearer security and the roles.
import { z } from 'zod';
import { ROLE_OPERATOR } from '../auth/index.js';
import { fromHex } from '../bytes/index.js';
import { route, type Route } from '../http/index.js';
import type { Inventory } from './inventory.js';
import type { JobService, JobTarget } from './jobs.js';
import { JOB_ERROR_STATUS } from './problem.js';

export const ADMIN_PREFIX = '/admin/v1';
/** One batch at most (a campaign feeds larger selections in waves, DESIGN.md 8). */
const MAX_BATCH = 10_000;

const iccid = z.string().regex(/^[0-9]{19,20}$/, 'expected 19 or 20 digits');
const imsi = z.string().regex(/^[0-9]{15}$/, 'expected 15 digits');
const hexKey = z.string().regex(/^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/, 'expected 32 or 64 hex digits');
const oneTarget = (t: { iccid?: string; imsi?: string }) =>
  (t.iccid === undefined) !== (t.imsi === undefined);
/** DESIGN.md 7: a job's keys come only from the CSPRNG, so k/opc here are unknown fields (400). */
const jobTargetSchema = z
  .strictObject({ iccid: iccid.optional(), imsi: imsi.optional() })
  .refine(oneTarget, 'give exactly one of iccid, imsi');
/** DESIGN.md 7: the explicit, audited import of a vendor's keys (OPc, or TOPc for TUAK). */
const keyImportSchema = z
  .strictObject({
    iccid: iccid.optional(),
    imsi: imsi.optional(),
    k: hexKey,
    opc: hexKey.optional(),
    topc: hexKey.optional(),
  })
  .refine(oneTarget, 'give exactly one of iccid, imsi')
  .refine((t) => (t.opc === undefined) !== (t.topc === undefined), 'k goes with exactly one of opc, topc');
const jobBatchSchema = z.union([
  z.strictObject({ iccids: z.array(iccid).min(1).max(MAX_BATCH) }),
  z.strictObject({ imsis: z.array(imsi).min(1).max(MAX_BATCH) }),
]);
const jobIdParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex digits') });
const eidParams = z.object({ eid: z.string().regex(/^[0-9]{32}$/, 'expected 32 digits') });
const pageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

// Answers (for the OpenAPI description).
const jobStateSchema = z.enum(['pending', 'staged', 'sent', 'applied', 'completed', 'failed', 'cancelled']);
const jobSchema = z.object({
  id: z.string(),
  iccid: z.string(),
  imsi: z.string(),
  eid: z.string(),
  algorithm: z.enum(['milenage', 'tuak']),
  keyVersion: z.number().int(),
  transactionId: z.string(),
  state: jobStateSchema,
  history: z.array(z.object({ state: jobStateSchema, at: z.string(), detail: z.string().optional() })),
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
const jobListSchema = z.object({ jobs: z.array(jobSchema) });
const batchSchema = z.object({
  jobs: z.array(jobSchema),
  refused: z.array(
    z.object({
      iccid: z.string().optional(),
      imsi: z.string().optional(),
      status: z.number().int(),
      detail: z.string(),
    }),
  ),
});
const statusSchema = z.object({
  ramUrl: z.string(),
  profiles: z.number().int(),
  securityAlarms: z.number().int(),
});

function targetOf(t: { iccid?: string; imsi?: string }): JobTarget {
  return t.iccid !== undefined ? { iccid: t.iccid } : { imsi: t.imsi as string };
}

const asOperator = [ROLE_OPERATOR] as const;
const theJob = { status: 200, description: 'the job', schema: jobSchema };

export function adminRoutes(jobs: JobService, inventory: Inventory, ramUrl: () => string): Route[] {
  return [
    route({
      method: 'POST',
      path: `${ADMIN_PREFIX}/jobs`,
      summary: 'Create a key-update job for {iccid} or {imsi}; the new keys come from the server CSPRNG only',
      roles: asOperator,
      body: jobTargetSchema,
      ok: { ...theJob, status: 201 },
      errors: [404, 409],
      handler: async ({ body, actor }) => jobs.create(targetOf(body), actor),
    }),
    route({
      method: 'POST',
      path: `${ADMIN_PREFIX}/jobs/import`,
      summary:
        "A job with a vendor's keys {iccid|imsi, k, opc|topc}; audited with the principal (DESIGN.md 7)",
      roles: asOperator,
      body: keyImportSchema,
      ok: { ...theJob, status: 201 },
      errors: [404, 409],
      handler: async ({ body, actor }) => {
        const keys = {
          k: fromHex(body.k, 'k'),
          opc: fromHex((body.opc ?? body.topc) as string, body.opc ? 'opc' : 'topc'),
        };
        try {
          return await jobs.importKeys(targetOf(body), keys, actor);
        } finally {
          keys.k.fill(0);
          keys.opc.fill(0);
        }
      },
    }),
    // A list of profiles: one job each; those refused are listed with the reason, the others go ahead.
    route({
      method: 'POST',
      path: `${ADMIN_PREFIX}/jobs/batch`,
      summary: 'One job per profile of {iccids} or {imsis}; 409 when every one is refused',
      roles: asOperator,
      body: jobBatchSchema,
      ok: { status: 201, description: 'the jobs created and those refused', schema: batchSchema },
      answers: { 409: { description: 'every profile refused', schema: batchSchema } },
      handler: async ({ body, actor, reply }) => {
        const targets: JobTarget[] =
          'iccids' in body ? body.iccids.map((i) => ({ iccid: i })) : body.imsis.map((i) => ({ imsi: i }));
        const created = [];
        const refused = [];
        // Issue 11: one batch (a few round trips to the job store and one HSS lookup, whatever its size)
        for (const r of await jobs.createMany(targets, actor)) {
          if ('job' in r) created.push(r.job);
          else refused.push({ ...r.target, status: JOB_ERROR_STATUS[r.error.kind], detail: r.error.message });
        }
        if (created.length === 0) reply.code(409);
        return { jobs: created, refused };
      },
    }),
    route({
      method: 'GET',
      path: `${ADMIN_PREFIX}/jobs`,
      summary: 'List jobs (limit, offset) with their state history',
      roles: asOperator,
      query: pageSchema,
      ok: { status: 200, description: 'a page of jobs', schema: jobListSchema },
      handler: async ({ query }) => ({ jobs: await jobs.list(query) }),
    }),
    route({
      method: 'GET',
      path: `${ADMIN_PREFIX}/jobs/{id}`,
      summary: 'One job',
      roles: asOperator,
      params: jobIdParams,
      ok: theJob,
      errors: [404],
      handler: async ({ params }) => jobs.get(params.id),
    }),
    route({
      method: 'POST',
      path: `${ADMIN_PREFIX}/jobs/{id}/cancel`,
      summary: 'Cancel a job that has not reached the card (409 once BF70 went out)',
      roles: asOperator,
      params: jobIdParams,
      ok: theJob,
      errors: [404, 409],
      handler: async ({ params, actor }) => jobs.cancel(params.id, actor),
    }),
    route({
      method: 'GET',
      path: `${ADMIN_PREFIX}/cards/{eid}/jobs`,
      summary: 'The unfinished jobs of a card',
      roles: asOperator,
      params: eidParams,
      ok: { status: 200, description: 'its open jobs', schema: jobListSchema },
      handler: async ({ params }) => ({ jobs: await jobs.pendingFor(params.eid) }),
    }),
    route({
      method: 'GET',
      path: `${ADMIN_PREFIX}/status`,
      summary: 'The RAM URL, the number of profiles, the security alarms since start',
      roles: asOperator,
      ok: { status: 200, description: 'status', schema: statusSchema },
      handler: async () => ({
        ramUrl: ramUrl(),
        profiles: inventory.size,
        securityAlarms: jobs.securityAlarms,
      }),
    }),
  ];
}

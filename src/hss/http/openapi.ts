// The OpenAPI 3.1 description served at /openapi.json, generated from the same zod schemas that validate requests.
import { z } from 'zod';
import { ROLE_CORE, ROLE_OPERATOR, ROLE_PROVISIONER, type Role } from '../../auth/index.js';
import { ADMIN_PREFIX, NUDM_UEAU_PREFIX } from '../client/wire.js';
import {
  auditSchema,
  authenticationInfoRequestSchema,
  authenticationInfoResultSchema,
  authEventSchema,
  candidateSchema,
  epsAuthenticationInfoRequestSchema,
  epsAuthenticationInfoResultSchema,
  newSubscriberSchema,
  problemDetailsSchema,
  subscriberListSchema,
  subscriberPatchSchema,
  subscriberViewSchema,
  transactionSchema,
} from './schemas.js';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  /** DESIGN.md 7: the roles whose bearer token may call it (app.ts enforces the same). */
  roles: readonly Role[];
  summary: string;
  body?: z.ZodType;
  ok: { status: number; schema?: z.ZodType };
  errors: number[];
}

const supi = {
  name: 'supi',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^imsi-[0-9]{15}$' },
};
const imsi = { name: 'imsi', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]{15}$' } };

const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: `${NUDM_UEAU_PREFIX}/{supi}/security-information/generate-auth-data`,
    roles: [ROLE_CORE],
    summary: 'TS 29.503 Nudm_UEAU_Get: a 5G HE AKA vector (SQN stored before it is returned)',
    body: authenticationInfoRequestSchema,
    ok: { status: 200, schema: authenticationInfoResultSchema },
    errors: [400, 401, 403, 404, 500],
  },
  {
    method: 'post',
    path: `${NUDM_UEAU_PREFIX}/{supi}/security-information/generate-eps-auth-data`,
    roles: [ROLE_CORE],
    summary: 'An EPS AKA vector (TS 33.401 6.1.1): RAND, AUTN, XRES, KASME',
    body: epsAuthenticationInfoRequestSchema,
    ok: { status: 200, schema: epsAuthenticationInfoResultSchema },
    errors: [400, 401, 403, 404, 500],
  },
  {
    method: 'post',
    path: `${NUDM_UEAU_PREFIX}/{supi}/auth-events`,
    roles: [ROLE_CORE],
    summary: 'TS 29.503 result confirmation; MAC_FAILURE arms the self-healing fallback (DESIGN.md 6)',
    body: authEventSchema,
    ok: { status: 201 },
    errors: [400, 401, 403, 404, 500],
  },
  {
    method: 'post',
    path: `${ADMIN_PREFIX}/subscribers`,
    roles: [ROLE_OPERATOR],
    summary: 'Create a subscriber (keys are never echoed)',
    body: newSubscriberSchema,
    ok: { status: 201, schema: subscriberViewSchema },
    errors: [400, 401, 403, 409, 500],
  },
  {
    method: 'get',
    path: `${ADMIN_PREFIX}/subscribers`,
    roles: [ROLE_OPERATOR, ROLE_PROVISIONER],
    summary: 'List subscribers (query: limit, offset; candidate=true: only those with a staged candidate)',
    ok: { status: 200, schema: subscriberListSchema },
    errors: [400, 401, 403, 500],
  },
  {
    method: 'get',
    path: `${ADMIN_PREFIX}/subscribers/{imsi}`,
    roles: [ROLE_OPERATOR, ROLE_PROVISIONER],
    summary: 'Read a subscriber',
    ok: { status: 200, schema: subscriberViewSchema },
    errors: [400, 401, 403, 404, 500],
  },
  {
    method: 'patch',
    path: `${ADMIN_PREFIX}/subscribers/{imsi}`,
    roles: [ROLE_OPERATOR],
    summary: 'Update ICCID or AMF',
    body: subscriberPatchSchema,
    ok: { status: 200, schema: subscriberViewSchema },
    errors: [400, 401, 403, 404, 500],
  },
  {
    method: 'delete',
    path: `${ADMIN_PREFIX}/subscribers/{imsi}`,
    roles: [ROLE_OPERATOR],
    summary: 'Delete a subscriber (its audit trail stays)',
    ok: { status: 204 },
    errors: [400, 401, 403, 404, 500],
  },
  {
    method: 'put',
    path: `${ADMIN_PREFIX}/subscribers/{imsi}/candidate`,
    roles: [ROLE_PROVISIONER],
    summary: 'Stage candidate keys (DESIGN.md 6 step 1); idempotent for the same transactionId',
    body: candidateSchema,
    ok: { status: 200, schema: subscriberViewSchema },
    errors: [400, 401, 403, 404, 409, 500],
  },
  {
    method: 'post',
    path: `${ADMIN_PREFIX}/subscribers/{imsi}/candidate/commit`,
    roles: [ROLE_PROVISIONER],
    summary: 'Commit the candidate (DESIGN.md 6 step 2); idempotent',
    body: transactionSchema,
    ok: { status: 200, schema: subscriberViewSchema },
    errors: [400, 401, 403, 404, 409, 500],
  },
  {
    method: 'post',
    path: `${ADMIN_PREFIX}/subscribers/{imsi}/candidate/abort`,
    roles: [ROLE_PROVISIONER],
    summary: 'Abort the candidate',
    body: transactionSchema,
    ok: { status: 200, schema: subscriberViewSchema },
    errors: [400, 401, 403, 404, 409, 500],
  },
  {
    method: 'get',
    path: `${ADMIN_PREFIX}/subscribers/{imsi}/audit`,
    roles: [ROLE_OPERATOR],
    summary: 'The audit trail: when, event, key version, transaction id, actor (never keys)',
    ok: { status: 200, schema: auditSchema },
    errors: [400, 401, 403, 404, 500],
  },
];

function jsonSchema(schema: z.ZodType): unknown {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

export function buildOpenApi(): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {
      [op.ok.status]: op.ok.schema
        ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.ok.schema) } } }
        : { description: 'OK' },
    };
    for (const status of op.errors) {
      responses[status] = {
        description: 'ProblemDetails (RFC 7807, TS 29.571)',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
      };
    }
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      parameters: [op.path.includes('{supi}') ? supi : op.path.includes('{imsi}') ? imsi : undefined].filter(
        Boolean,
      ),
      ...(op.body
        ? {
            requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } },
          }
        : {}),
      responses,
      security: [{ bearer: [] }],
      'x-ltku-roles': op.roles,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ltku HSS/AuC',
      version: '1.0.0',
      description:
        'Nudm_UEAU-shaped vector generation (TS 29.503) and subscriber administration with key transition (DESIGN.md 6)',
    },
    paths,
    components: {
      schemas: { ProblemDetails: jsonSchema(problemDetailsSchema) },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'DESIGN.md 7: a principal token' },
      },
    },
  };
}

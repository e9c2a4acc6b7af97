// The OpenAPI 3.1 description of the core's attach API, served at /openapi.json and generated from the zod
// schemas that validate the requests (contracts.md "Core network HTTP API").
import { z } from 'zod';
import {
  attachRequestSchema,
  attachResponseSchema,
  detachRequestSchema,
  hexBytes,
  pushRequestSchema,
} from './schemas.js';

const HEX16 = hexBytes(16);

const challengeSchema = z.object({
  state: z.literal('challenge'),
  attachId: z.string(),
  rand: HEX16,
  autn: HEX16,
});
const attachedSchema = z.object({
  state: z.literal('attached'),
  kseafDigest: z.string().optional(),
  attachToken: z.string().regex(/^[0-9a-f]{32}$/),
});
const rejectedSchema = z.object({ state: z.literal('rejected'), reason: z.string() });
const ueSchema = z.object({
  imsi: z.string(),
  state: z.enum(['attached', 'detached']),
  attachedAt: z.string().optional(),
});
const pushAcceptedSchema = z.object({ delivered: z.boolean(), streams: z.number().int() });
const problemDetailsSchema = z.object({
  status: z.number().int(),
  title: z.string(),
  detail: z.string(),
  cause: z.string(),
  invalidParams: z.array(z.object({ param: z.string(), reason: z.string().optional() })).optional(),
});

interface Operation {
  method: 'get' | 'post';
  path: string;
  summary: string;
  body?: z.ZodType;
  /** DESIGN.md 7: bearer token of a principal with this role, or the UE's attach token. */
  security?: 'operator' | 'provisioner' | 'attachToken';
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

const PROBLEM = { description: 'ProblemDetails (RFC 7807)', contentType: 'application/problem+json' };

const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/core/v1/attach',
    summary: 'TS 33.501 6.1.3.2: a 5G AKA challenge (RAND, AUTN) from a vector of the HSS',
    body: attachRequestSchema,
    responses: {
      200: { description: 'challenge', schema: challengeSchema },
      400: PROBLEM,
      403: { description: 'rejected (unknown subscriber)', schema: rejectedSchema },
      502: PROBLEM,
    },
  },
  {
    method: 'post',
    path: '/core/v1/attach/{attachId}/response',
    summary: "The UE's answer: RES*, a MAC failure, or a synchronisation failure with AUTS",
    body: attachResponseSchema,
    responses: {
      200: {
        description: 'attached, or a new challenge',
        schema: z.union([attachedSchema, challengeSchema]),
      },
      400: PROBLEM,
      403: { description: 'rejected', schema: rejectedSchema },
      404: PROBLEM,
      502: PROBLEM,
    },
  },
  {
    method: 'post',
    path: '/core/v1/detach',
    summary:
      'TS 24.501 5.5.2.2: UE-originating deregistration, authorised by the attachToken of the attach it ends',
    body: detachRequestSchema,
    responses: {
      200: { description: 'detached', schema: z.object({ state: z.literal('detached') }) },
      400: PROBLEM,
      403: PROBLEM,
    },
  },
  {
    method: 'get',
    path: '/core/v1/ues/{imsi}',
    summary: 'The attach state of a UE (role operator)',
    security: 'operator',
    responses: {
      200: { description: 'UE state', schema: ueSchema },
      400: PROBLEM,
      401: PROBLEM,
      403: PROBLEM,
    },
  },
  {
    method: 'get',
    path: '/core/v1/ues/{imsi}/events',
    summary: 'Server-sent events to an attached UE (WHATWG HTML 9.2); Authorization: Bearer <attachToken>',
    security: 'attachToken',
    responses: {
      200: { description: 'event stream', contentType: 'text/event-stream' },
      400: PROBLEM,
      401: PROBLEM,
      403: PROBLEM,
    },
  },
  {
    method: 'post',
    path: '/core/v1/ues/{imsi}/push',
    summary:
      'Delivers an event on the UE event stream (kept until a stream opens); 404 when not attached (role provisioner)',
    security: 'provisioner',
    body: pushRequestSchema,
    responses: {
      202: { description: 'accepted', schema: pushAcceptedSchema },
      400: PROBLEM,
      401: PROBLEM,
      403: PROBLEM,
      404: PROBLEM,
    },
  },
];

function jsonSchema(schema: z.ZodType): unknown {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

function pathParameters(path: string): unknown[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: name === 'imsi' ? '^[0-9]{15}$' : '^[0-9a-f]{32}$' },
  }));
}

export function buildCoreOpenApi(): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      const contentType = r.contentType ?? 'application/json';
      responses[status] = {
        description: r.description,
        content: {
          [contentType]: {
            schema:
              r === PROBLEM
                ? { $ref: '#/components/schemas/ProblemDetails' }
                : r.schema
                  ? jsonSchema(r.schema)
                  : { type: 'string' },
          },
        },
      };
    }
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      parameters: pathParameters(op.path),
      ...(op.security === undefined
        ? {}
        : op.security === 'attachToken'
          ? { security: [{ attachToken: [] }] }
          : { security: [{ bearer: [] }], 'x-ltku-role': op.security }),
      ...(op.body
        ? {
            requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ltku core network (AMF/SEAF with the AUSF role)',
      version: '1.0.0',
      description: '5G AKA attach and detach against the HSS, and a push channel to attached UEs',
    },
    paths,
    components: {
      schemas: { ProblemDetails: jsonSchema(problemDetailsSchema) },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ltku principal token (ltku auth issue)' },
        attachToken: { type: 'http', scheme: 'bearer', description: 'the attachToken the attach returned' },
      },
    },
  };
}

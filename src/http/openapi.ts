// OpenAPI 3.1 (https://spec.openapis.org/oas/v3.1.0) generated from a service's route table: the same zod schemas
// that validate requests, every path parameter declared, bearer security with the roles (x-ltku-roles) and the
// 401/403 answers on every route that has roles.
import { z } from 'zod';
import { JSON_CONTENT_TYPE, PROBLEM_CONTENT_TYPE } from './problem.js';
import { pathParameterNames, type Answer, type Route } from './routes.js';

export const OPENAPI_VERSION = '3.1.0';
export const BEARER_SCHEME = 'bearer';
export const ROLES_EXTENSION = 'x-ltku-roles';

export interface ApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** Security schemes besides `bearer` (e.g. the core's attach token). */
  readonly securitySchemes?: Readonly<Record<string, unknown>>;
}

const problemDetailsSchema = z.object({
  type: z.string().optional(),
  status: z.number().int(),
  title: z.string(),
  detail: z.string().optional(),
  cause: z.string().optional(),
  invalidParams: z.array(z.object({ param: z.string(), reason: z.string().optional() })).optional(),
});

const PROBLEM_REF = { $ref: '#/components/schemas/ProblemDetails' };

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'a field is missing or wrong (invalidParams names it)',
  401: 'no or a bad bearer token (WWW-Authenticate: Bearer)',
  403: 'the principal has none of the roles',
  404: 'no such resource',
  409: 'conflicts with the current state',
  500: 'internal error (the details are in the log)',
  502: 'an upstream service failed',
  503: 'a dependency is not reachable',
};

export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

function answerJson(a: Answer): unknown {
  if (a.schema === undefined && a.contentType === undefined) return { description: a.description };
  return {
    description: a.description,
    content: {
      [a.contentType ?? JSON_CONTENT_TYPE]: { schema: a.schema ? jsonSchema(a.schema) : { type: 'string' } },
    },
  };
}

function parameters(r: Route): unknown[] {
  const shape = (r.params as { shape?: Record<string, z.ZodType> } | undefined)?.shape ?? {};
  const path = pathParameterNames(r.path).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: jsonSchema(shape[name]),
  }));
  const queryShape = (r.query as { shape?: Record<string, z.ZodType> } | undefined)?.shape ?? {};
  const query = Object.entries(queryShape).map(([name, s]) => ({
    name,
    in: 'query',
    required: !s.safeParse(undefined).success,
    schema: jsonSchema(s),
  }));
  return [...path, ...query];
}

function operation(r: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = { [r.ok.status]: answerJson(r.ok) };
  for (const [status, a] of Object.entries(r.answers ?? {})) responses[status] = answerJson(a);
  const problems = new Set([
    ...(r.params || r.query || r.body ? [400] : []),
    ...(r.roles ? [401, 403] : []),
    ...(r.errors ?? []),
    500,
  ]);
  for (const status of [...problems].sort()) {
    responses[status] ??= {
      description: `ProblemDetails (RFC 7807): ${PROBLEM_DESCRIPTIONS[status] ?? 'refused'}`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
    };
  }
  return {
    summary: r.summary,
    parameters: parameters(r),
    ...(r.body
      ? {
          requestBody: {
            required: r.bodyOptional !== true,
            content: { [JSON_CONTENT_TYPE]: { schema: jsonSchema(r.body) } },
          },
        }
      : {}),
    responses,
    ...(r.roles ? { security: [{ [BEARER_SCHEME]: [] }], [ROLES_EXTENSION]: [...r.roles] } : {}),
    ...(r.security ? { security: [{ [r.security]: [] }] } : {}),
  };
}

export function buildOpenApi(info: ApiInfo, routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: OPENAPI_VERSION,
    info: { title: info.title, version: info.version, description: info.description },
    paths,
    components: {
      schemas: { ProblemDetails: jsonSchema(problemDetailsSchema) },
      securitySchemes: {
        [BEARER_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'DESIGN.md 7: a principal token (ltku auth issue); the role is in x-ltku-roles',
        },
        ...info.securitySchemes,
      },
    },
  };
}

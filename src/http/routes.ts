// One table per service: each route's method, path, roles, zod schemas and handler. The same entries register
// the fastify routes (roles enforced, inputs validated, 400 naming the field) and generate /openapi.json, so a
// route's roles and schemas are written once.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { principalOf, requireRoles, type Authenticator, type Role } from '../auth/index.js';
import { badRequest, CAUSE_MANDATORY_IE_MISSING, parseWith } from './problem.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An answer of a route for the OpenAPI description. */
export interface Answer {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Default application/json (a schema-less answer has no content). */
  readonly contentType?: string;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** DESIGN.md 7: the name of the principal a route with roles let through (the audit trail's actor). */
  readonly actor: string;
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly method: HttpMethod;
  /** OpenAPI form, path parameters in braces: `/admin/v1/jobs/{id}`. */
  readonly path: string;
  readonly summary: string;
  /** DESIGN.md 7: the roles whose bearer token may call it; absent: open (UE-facing, probes). */
  readonly roles?: readonly Role[];
  /** OpenAPI only: a security scheme the handler checks itself (the core's attach token). */
  readonly security?: string;
  /** An object with one entry per path parameter (every `{name}` of the path must have one). */
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** The body may be absent (then `{}` is validated); otherwise a missing body is a 400. */
  readonly bodyOptional?: boolean;
  /** The success answer; the handler's result is its body (a handler may also send itself). */
  readonly ok: Answer & { readonly status: number };
  /** Other answers with their own schema (not ProblemDetails). */
  readonly answers?: Readonly<Record<number, Answer>>;
  /** ProblemDetails answers besides the automatic ones (400 with inputs, 401/403 with roles, 500). */
  readonly errors?: readonly number[];
  readonly handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>;
}

export type Route = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** Infers the handler's input types from the schemas of one table entry. */
export function route<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<P, Q, B>): Route {
  return spec as unknown as Route;
}

/** The names of the path parameters, in order. */
export function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

/** Every `{name}` of the path has its schema and every schema entry its `{name}` (a wiring mistake otherwise). */
export function checkPathParameters(r: Route): void {
  const names = pathParameterNames(r.path).sort();
  const shape = Object.keys(
    (r.params as { shape?: Record<string, unknown> } | undefined)?.shape ?? {},
  ).sort();
  if (names.join() !== shape.join())
    throw new Error(
      `${r.method} ${r.path}: path parameters (${names.join(', ')}), params schema (${shape.join(', ')})`,
    );
}

function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

// DESIGN.md 7: roles first (401/403 before anything is parsed), then path, query and body, each naming the field.
export function registerRoutes(
  app: FastifyInstance,
  routes: readonly Route[],
  authenticator: Authenticator,
): void {
  for (const r of routes) {
    checkPathParameters(r);
    app.route({
      method: r.method,
      url: fastifyPath(r.path),
      ...(r.roles === undefined ? {} : { onRequest: requireRoles(authenticator, r.roles) }),
      handler: async (req, reply) => {
        const params = r.params === undefined ? undefined : parseWith(r.params, '', req.params);
        const query = r.query === undefined ? undefined : parseWith(r.query, 'query', req.query);
        let body: unknown;
        if (r.body !== undefined) {
          if (req.body === undefined && r.bodyOptional !== true)
            throw badRequest('body', 'missing', CAUSE_MANDATORY_IE_MISSING);
          body = parseWith(r.body, 'body', req.body ?? {});
        }
        reply.code(r.ok.status);
        const out = await r.handler({
          params,
          query,
          body,
          get actor() {
            return principalOf(req).name;
          },
          req,
          reply,
        });
        if (reply.sent) return reply;
        if (r.ok.contentType !== undefined && !reply.hasHeader('content-type')) reply.type(r.ok.contentType);
        return reply.send(out);
      },
    });
  }
}

// DESIGN.md 7 on fastify: a route's onRequest hook that lets only the given roles through. No or a bad token:
// 401 with WWW-Authenticate: Bearer (RFC 6750 3); a principal of another role: 403. Answers are RFC 7807
// ProblemDetails that never echo the token nor say whether a name exists.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { type Authenticator } from './authenticator.js';
import type { Principal, Role } from './roles.js';

export const AUTHORIZATION_HEADER = 'authorization';
export const WWW_AUTHENTICATE_HEADER = 'www-authenticate';
export const BEARER_REALM = 'ltku';
export const CAUSE_UNAUTHENTICATED = 'UNAUTHENTICATED';
export const CAUSE_ROLE_NOT_ALLOWED = 'ROLE_NOT_ALLOWED';
const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const principals = new WeakMap<FastifyRequest, Principal>();

function deny(reply: FastifyReply, status: 401 | 403, challenge: string, detail: string): FastifyReply {
  const body =
    status === 401
      ? { status, title: 'Unauthorized', detail, cause: CAUSE_UNAUTHENTICATED }
      : { status, title: 'Forbidden', detail, cause: CAUSE_ROLE_NOT_ALLOWED };
  return reply.code(status).header(WWW_AUTHENTICATE_HEADER, challenge).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** The authorization header's value, when there is exactly one. */
export function authorizationOf(req: FastifyRequest): string | undefined {
  const h = req.headers[AUTHORIZATION_HEADER];
  return typeof h === 'string' ? h : undefined;
}

export function requireRoles(
  authenticator: Authenticator,
  roles: readonly Role[],
): onRequestAsyncHookHandler {
  return async (req, reply) => {
    const header = authorizationOf(req);
    const principal = authenticator.authenticate(header);
    if (principal === undefined) {
      return header === undefined
        ? deny(reply, 401, `Bearer realm="${BEARER_REALM}"`, 'a bearer token is required')
        : deny(
            reply,
            401,
            `Bearer realm="${BEARER_REALM}", error="invalid_token"`,
            'the bearer token is not valid (malformed, unknown or revoked)',
          );
    }
    if (!roles.includes(principal.role)) {
      return deny(
        reply,
        403,
        `Bearer realm="${BEARER_REALM}", error="insufficient_scope"`,
        `role ${principal.role} may not do this (needs ${roles.join(' or ')})`,
      );
    }
    principals.set(req, principal);
  };
}

/** The caller a requireRoles hook let through; throws if the route has no such hook (a wiring mistake). */
export function principalOf(req: FastifyRequest): Principal {
  const p = principals.get(req);
  if (p === undefined) throw new Error(`no authenticated principal on ${req.method} ${req.routeOptions.url}`);
  return p;
}

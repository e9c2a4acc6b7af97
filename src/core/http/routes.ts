// The core network's attach API as one table (contracts.md "Core network HTTP API"): attach, the UE's answer to
// a challenge and detach are UE-facing (open; detach authorised by the attach token), UE state is for operators,
// push for provisioners, the event stream for the UE holding the attach token (DESIGN.md 7).
import { z } from 'zod';
import {
  authorizationOf,
  bearerToken,
  BEARER_REALM,
  CAUSE_UNAUTHENTICATED,
  ROLE_OPERATOR,
  ROLE_PROVISIONER,
  WWW_AUTHENTICATE_HEADER,
} from '../../auth/index.js';
import { fromHex, toHex } from '../../bytes/index.js';
import {
  badRequest,
  CAUSE_MANDATORY_IE_MISSING,
  route,
  sendProblem,
  titleOf,
  type Route,
} from '../../http/index.js';
import type { AttachOutcome, AttachService, UeResponse } from '../attach-service.js';
import { forbidden, notFound } from '../errors.js';
import type { PushHub } from '../push.js';
import {
  attachIdSchema,
  attachRequestSchema,
  attachResponseSchema,
  detachRequestSchema,
  hexBytes,
  imsiSchema,
  pushRequestSchema,
} from './schemas.js';

/** The attach token shown by the UE on its event stream (RFC 6750), for the OpenAPI description. */
export const ATTACH_TOKEN_SCHEME = 'attachToken';
const EVENT_STREAM_TYPE = 'text/event-stream';

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
const imsiParams = z.object({ imsi: imsiSchema });
const attachIdParams = z.object({ attachId: attachIdSchema });
const REJECTED = { 403: { description: 'rejected', schema: rejectedSchema } };

function outcomeJson(o: AttachOutcome) {
  switch (o.state) {
    case 'challenge':
      return { state: o.state, attachId: o.attachId, rand: toHex(o.rand), autn: toHex(o.autn) };
    case 'attached':
      return { state: o.state, kseafDigest: toHex(o.kseafDigest), attachToken: o.attachToken };
    case 'rejected':
      return { state: o.state, reason: o.reason };
  }
}

function ueResponseOf(body: z.infer<typeof attachResponseSchema>): UeResponse {
  if (body.res !== undefined) {
    if (body.failure !== undefined) throw badRequest('body.failure', 'not allowed with res');
    if (body.auts !== undefined) throw badRequest('body.auts', 'not allowed with res');
    return { res: fromHex(body.res, 'res') };
  }
  if (body.failure === undefined)
    throw badRequest('body.res', 'missing (or failure)', CAUSE_MANDATORY_IE_MISSING);
  if (body.failure === 'SYNCH_FAILURE') {
    if (body.auts === undefined) throw badRequest('body.auts', 'missing', CAUSE_MANDATORY_IE_MISSING);
    return { failure: body.failure, auts: fromHex(body.auts, 'auts') };
  }
  if (body.auts !== undefined) throw badRequest('body.auts', 'only with SYNCH_FAILURE');
  return { failure: body.failure };
}

export function coreRoutes(service: AttachService, push: PushHub): Route[] {
  return [
    route({
      method: 'POST',
      path: '/core/v1/attach',
      summary: 'TS 33.501 6.1.3.2: a 5G AKA challenge (RAND, AUTN) from a vector of the HSS',
      body: attachRequestSchema,
      ok: { status: 200, description: 'challenge', schema: challengeSchema },
      answers: { 403: { description: 'rejected (unknown subscriber)', schema: rejectedSchema } },
      errors: [502],
      handler: async ({ body, reply }) => {
        const o = await service.attach(body.imsi, body.servingNetworkName);
        if (o.state === 'rejected') reply.code(403);
        return outcomeJson(o);
      },
    }),
    route({
      method: 'POST',
      path: '/core/v1/attach/{attachId}/response',
      summary: "The UE's answer: RES*, a MAC failure, or a synchronisation failure with AUTS",
      params: attachIdParams,
      body: attachResponseSchema,
      ok: {
        status: 200,
        description: 'attached, or a new challenge',
        schema: z.union([attachedSchema, challengeSchema]),
      },
      answers: REJECTED,
      errors: [404, 502],
      handler: async ({ params, body, reply }) => {
        const o = await service.respond(params.attachId, ueResponseOf(body));
        if (o.state === 'rejected') reply.code(403);
        return outcomeJson(o);
      },
    }),
    // DESIGN.md 7: a detach is authorised by the attach it ends (its token), never by the IMSI alone
    route({
      method: 'POST',
      path: '/core/v1/detach',
      summary:
        'TS 24.501 5.5.2.2: UE-originating deregistration, authorised by the attachToken of the attach it ends',
      body: detachRequestSchema,
      ok: { status: 200, description: 'detached', schema: z.object({ state: z.literal('detached') }) },
      errors: [403],
      handler: async ({ body }) => {
        service.detach(body.imsi, body.attachToken ?? '');
        push.close(body.imsi);
        return { state: 'detached' };
      },
    }),
    route({
      method: 'GET',
      path: '/core/v1/ues/{imsi}',
      summary: 'The attach state of a UE',
      roles: [ROLE_OPERATOR],
      params: imsiParams,
      ok: { status: 200, description: 'UE state', schema: ueSchema },
      handler: async ({ params }) => {
        const ue = service.ue(params.imsi);
        return {
          imsi: ue.imsi,
          state: ue.state,
          ...(ue.attachedAt ? { attachedAt: ue.attachedAt.toISOString() } : {}),
        };
      },
    }),
    // WHATWG HTML 9.2 server-sent events: one stream per UE connection, while attached; DESIGN.md 7: the UE shows
    // its attach token as a bearer token (RFC 6750)
    route({
      method: 'GET',
      path: '/core/v1/ues/{imsi}/events',
      summary: 'Server-sent events to an attached UE (WHATWG HTML 9.2); Authorization: Bearer <attachToken>',
      security: ATTACH_TOKEN_SCHEME,
      params: imsiParams,
      ok: { status: 200, description: 'event stream', contentType: EVENT_STREAM_TYPE },
      errors: [401, 403],
      handler: async ({ params, req, reply }) => {
        const attachToken = bearerToken(authorizationOf(req));
        if (attachToken === undefined) {
          reply.header(WWW_AUTHENTICATE_HEADER, `Bearer realm="${BEARER_REALM}"`);
          return sendProblem(reply, {
            status: 401,
            title: titleOf(401),
            detail: 'the attach token is required (Authorization: Bearer)',
            cause: CAUSE_UNAUTHENTICATED,
          });
        }
        if (!service.holdsAttach(params.imsi, attachToken))
          throw forbidden('the attach token does not match the current attach of this UE');
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': `${EVENT_STREAM_TYPE}; charset=utf-8`,
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        raw.write(': connected\n\n');
        const unregister = push.open(params.imsi, {
          write: (text) => void raw.write(text),
          end: () => raw.end(),
        });
        req.raw.on('close', unregister);
      },
    }),
    route({
      method: 'POST',
      path: '/core/v1/ues/{imsi}/push',
      summary: 'Delivers an event on the UE event stream (kept until a stream opens); 404 when not attached',
      roles: [ROLE_PROVISIONER],
      params: imsiParams,
      body: pushRequestSchema,
      ok: { status: 202, description: 'accepted', schema: pushAcceptedSchema },
      errors: [404],
      handler: async ({ params, body }) => {
        if (!service.isAttached(params.imsi)) throw notFound(`UE ${params.imsi} is not attached`);
        const streams = push.push(params.imsi, { type: body.type, data: { type: body.type, url: body.url } });
        return { delivered: streams > 0, streams };
      },
    }),
  ];
}

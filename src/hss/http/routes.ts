// The HSS HTTP API as one table (contracts.md): Nudm_UEAU-shaped vector generation and result confirmation
// (TS 29.503) for role core, subscriber administration for operator, the key transition for provisioner
// (DESIGN.md 6, 7). Each entry's roles and schemas serve both the fastify route and /openapi.json. Hex lives
// here and in the client's wire shapes only: the HSS below takes and gives bytes.
import { z } from 'zod';
import { ROLE_CORE, ROLE_OPERATOR, ROLE_PROVISIONER } from '../../auth/index.js';
import { fromHex, toHex } from '../../bytes/index.js';
import { badRequest, route, type Route } from '../../http/index.js';
import type { Auc } from '../auc.js';
import { TRANSACTION_ID_LENGTH, type AuditEvent, type KeyMaterial } from '../client/model.js';
import { ADMIN_PREFIX, NUDM_UEAU_PREFIX, type AuditEventJson } from '../client/wire.js';
import { subscriberViewJson } from '../client/subscriber-view-json.js';
import type { Hss } from '../hss.js';
import type { HssMetrics } from './metrics.js';
import {
  auditSchema,
  authenticationInfoRequestSchema,
  authenticationInfoResultSchema,
  authEventSchema,
  candidateSchema,
  epsAuthenticationInfoRequestSchema,
  epsAuthenticationInfoResultSchema,
  imsiParams,
  listQuerySchema,
  newSubscriberSchema,
  subscriberListSchema,
  subscriberLookupSchema,
  subscriberPatchSchema,
  subscriberViewSchema,
  supiParams,
  transactionSchema,
} from './schemas.js';

const SUPI_PREFIX = 'imsi-';
const DEFAULT_LIST_LIMIT = 100;

function keysOf(b: z.infer<typeof newSubscriberSchema> | z.infer<typeof candidateSchema>): KeyMaterial {
  return b.algorithm === 'milenage'
    ? { algorithm: 'milenage', k: fromHex(b.k), opc: fromHex(b.opc) }
    : {
        algorithm: 'tuak',
        k: fromHex(b.k),
        opc: fromHex(b.topc),
        ...(b.tuak ? { tuak: b.tuak as KeyMaterial['tuak'] } : {}),
      };
}

function transactionIdOf(hex: string): Uint8Array {
  return fromHex(hex, 'transactionId', TRANSACTION_ID_LENGTH);
}

function resyncOf(r: { rand: string; auts: string } | undefined) {
  return r === undefined ? undefined : { rand: fromHex(r.rand), auts: fromHex(r.auts) };
}

export function auditEventJson(e: AuditEvent): AuditEventJson {
  return {
    at: e.at.toISOString(),
    event: e.event,
    keyVersion: e.keyVersion,
    ...(e.transactionId === null ? {} : { transactionId: toHex(e.transactionId) }),
    actor: e.actor,
  };
}

const imsiOfSupi = (supi: string) => supi.slice(SUPI_PREFIX.length);
const view = {
  status: 200,
  description: 'the subscriber (keys are never echoed)',
  schema: subscriberViewSchema,
};

export function hssRoutes(hss: Hss, auc: Auc, metrics: HssMetrics): Route[] {
  const subscriber = `${ADMIN_PREFIX}/subscribers/{imsi}`;
  return [
    route({
      method: 'POST',
      path: `${NUDM_UEAU_PREFIX}/{supi}/security-information/generate-auth-data`,
      summary: 'TS 29.503 5.4.2.2 Nudm_UEAU_Get: a 5G HE AKA vector (SQN stored before it is returned)',
      roles: [ROLE_CORE],
      params: supiParams,
      body: authenticationInfoRequestSchema,
      ok: { status: 200, description: 'the vector', schema: authenticationInfoResultSchema },
      errors: [404],
      handler: async ({ params, body }) => {
        const imsi = imsiOfSupi(params.supi);
        const resync = resyncOf(body.resynchronizationInfo);
        const v = await auc.generateHeAka(imsi, body.servingNetworkName, resync);
        metrics.vectors.inc({ av_type: '5G_HE_AKA' });
        if (resync !== undefined) metrics.resyncs.inc();
        return {
          authType: '5G_AKA',
          supi: `${SUPI_PREFIX}${imsi}`,
          authenticationVector: {
            avType: '5G_HE_AKA',
            rand: toHex(v.rand),
            autn: toHex(v.autn),
            xresStar: toHex(v.xresStar),
            kausf: toHex(v.kausf),
          },
        };
      },
    }),
    route({
      method: 'POST',
      path: `${NUDM_UEAU_PREFIX}/{supi}/security-information/generate-eps-auth-data`,
      summary: 'An EPS AKA vector (TS 33.401 6.1.1): RAND, AUTN, XRES, KASME',
      roles: [ROLE_CORE],
      params: supiParams,
      body: epsAuthenticationInfoRequestSchema,
      ok: { status: 200, description: 'the vector', schema: epsAuthenticationInfoResultSchema },
      errors: [404],
      handler: async ({ params, body }) => {
        const imsi = imsiOfSupi(params.supi);
        const { mcc, mnc } = body.servingNetworkId;
        const resync = resyncOf(body.resynchronizationInfo);
        const v = await auc.generateEpsAka(imsi, mcc, mnc, resync);
        metrics.vectors.inc({ av_type: 'EPS_AKA' });
        if (resync !== undefined) metrics.resyncs.inc();
        return {
          authType: 'EPS_AKA',
          supi: `${SUPI_PREFIX}${imsi}`,
          authenticationVector: {
            avType: 'EPS_AKA',
            rand: toHex(v.rand),
            autn: toHex(v.autn),
            xres: toHex(v.xres),
            kasme: toHex(v.kasme),
          },
        };
      },
    }),
    // TS 29.503 5.4.2.3 Nudm_UEAU_ResultConfirmation, extended with the MAC failure (DESIGN.md 6 self-healing).
    route({
      method: 'POST',
      path: `${NUDM_UEAU_PREFIX}/{supi}/auth-events`,
      summary: 'TS 29.503 result confirmation; MAC_FAILURE arms the self-healing fallback (DESIGN.md 6)',
      roles: [ROLE_CORE],
      params: supiParams,
      body: authEventSchema,
      ok: { status: 201, description: 'recorded (an empty object)', schema: z.object({}) },
      errors: [404],
      handler: async ({ params, body, actor }) => {
        if (body.success && body.failure !== undefined)
          throw badRequest('body.failure', 'must be absent when success is true');
        const outcome = {
          success: body.success,
          rand: fromHex(body.rand),
          ...(body.failure ? { failure: body.failure } : {}),
        };
        await hss.reportAuthOutcome(imsiOfSupi(params.supi), outcome, actor);
        if (body.failure === 'MAC_FAILURE') metrics.macFailures.inc();
        return {};
      },
    }),
    route({
      method: 'POST',
      path: `${ADMIN_PREFIX}/subscribers`,
      summary: 'Create a subscriber (keys are never echoed)',
      roles: [ROLE_OPERATOR],
      body: newSubscriberSchema,
      ok: { ...view, status: 201 },
      errors: [409],
      handler: async ({ body, actor }) =>
        subscriberViewJson(
          await hss.create(
            {
              imsi: body.imsi,
              ...(body.iccid ? { iccid: body.iccid } : {}),
              ...(body.amf ? { amf: fromHex(body.amf) } : {}),
              ...(body.keyVersion ? { keyVersion: body.keyVersion } : {}),
              keys: keysOf(body),
            },
            actor,
          ),
        ),
    }),
    route({
      method: 'GET',
      path: `${ADMIN_PREFIX}/subscribers`,
      summary: 'List subscribers (limit, offset; candidate=true: only those with a staged candidate)',
      roles: [ROLE_OPERATOR, ROLE_PROVISIONER],
      query: listQuerySchema,
      ok: { status: 200, description: 'a page of subscribers', schema: subscriberListSchema },
      handler: async ({ query }) => {
        const filter = { withCandidate: query.candidate === 'true' };
        const page = await hss.list(query.limit ?? DEFAULT_LIST_LIMIT, query.offset ?? 0, filter);
        return { subscribers: page.map(subscriberViewJson) };
      },
    }),
    route({
      method: 'GET',
      path: subscriber,
      summary: 'Read a subscriber',
      roles: [ROLE_OPERATOR, ROLE_PROVISIONER],
      params: imsiParams,
      ok: view,
      errors: [404],
      handler: async ({ params }) => subscriberViewJson(await hss.get(params.imsi)),
    }),
    // Issue 11 (contracts.md): the server's batched job creation reads up to 1000 subscribers in one call.
    route({
      method: 'POST',
      path: `${ADMIN_PREFIX}/subscribers/lookup`,
      summary: 'Read several subscribers (1..1000 IMSIs); unknown IMSIs are absent, order unspecified',
      roles: [ROLE_OPERATOR, ROLE_PROVISIONER],
      body: subscriberLookupSchema,
      ok: { status: 200, description: 'the subscribers found', schema: subscriberListSchema },
      handler: async ({ body }) => ({ subscribers: (await hss.getMany(body.imsis)).map(subscriberViewJson) }),
    }),
    route({
      method: 'PATCH',
      path: subscriber,
      summary: 'Update ICCID or AMF',
      roles: [ROLE_OPERATOR],
      params: imsiParams,
      body: subscriberPatchSchema,
      bodyOptional: true,
      ok: view,
      errors: [404],
      handler: async ({ params, body, actor }) => {
        const patch = {
          ...(body.iccid ? { iccid: body.iccid } : {}),
          ...(body.amf ? { amf: fromHex(body.amf) } : {}),
        };
        return subscriberViewJson(await hss.update(params.imsi, patch, actor));
      },
    }),
    route({
      method: 'DELETE',
      path: subscriber,
      summary: 'Delete a subscriber (its audit trail stays)',
      roles: [ROLE_OPERATOR],
      params: imsiParams,
      ok: { status: 204, description: 'deleted' },
      errors: [404],
      handler: async ({ params, actor }) => {
        await hss.delete(params.imsi, actor);
      },
    }),
    route({
      method: 'PUT',
      path: `${subscriber}/candidate`,
      summary: 'Stage candidate keys (DESIGN.md 6 step 1); idempotent for the same transactionId',
      roles: [ROLE_PROVISIONER],
      params: imsiParams,
      body: candidateSchema,
      ok: view,
      errors: [404, 409],
      handler: async ({ params, body, actor }) => {
        const input = {
          keyVersion: body.keyVersion,
          transactionId: transactionIdOf(body.transactionId),
          keys: keysOf(body),
        };
        return subscriberViewJson(await hss.stageCandidate(params.imsi, input, actor));
      },
    }),
    route({
      method: 'POST',
      path: `${subscriber}/candidate/commit`,
      summary: 'Commit the candidate (DESIGN.md 6 step 2); idempotent',
      roles: [ROLE_PROVISIONER],
      params: imsiParams,
      body: transactionSchema,
      ok: view,
      errors: [404, 409],
      handler: async ({ params, body, actor }) =>
        subscriberViewJson(
          await hss.commitCandidate(params.imsi, transactionIdOf(body.transactionId), actor),
        ),
    }),
    route({
      method: 'POST',
      path: `${subscriber}/candidate/abort`,
      summary: 'Abort the candidate',
      roles: [ROLE_PROVISIONER],
      params: imsiParams,
      body: transactionSchema,
      ok: view,
      errors: [404, 409],
      handler: async ({ params, body, actor }) =>
        subscriberViewJson(await hss.abortCandidate(params.imsi, transactionIdOf(body.transactionId), actor)),
    }),
    route({
      method: 'GET',
      path: `${subscriber}/audit`,
      summary: 'The audit trail: when, event, key version, transaction id, actor (never keys)',
      roles: [ROLE_OPERATOR],
      params: imsiParams,
      ok: { status: 200, description: 'the audit trail', schema: auditSchema },
      errors: [404],
      handler: async ({ params }) => ({ events: (await hss.audit(params.imsi)).map(auditEventJson) }),
    }),
  ];
}

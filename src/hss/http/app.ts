// The HSS HTTP API on the kit (src/http): the route table of routes.ts, ProblemDetails from the HSS's errors,
// /healthz, /readyz (the subscriber store answers), /openapi.json and /metrics.
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../auth/index.js';
import { createServiceApp, type ReadinessCheck } from '../../http/index.js';
import type { Logger } from '../../ports/index.js';
import type { Auc } from '../auc.js';
import type { Hss } from '../hss.js';
import { HssMetrics } from './metrics.js';
import { hssProblemOf } from './problem.js';
import { hssRoutes } from './routes.js';

export { subscriberViewJson as viewJson } from '../client/subscriber-view-json.js';

export interface HssAppDeps {
  readonly hss: Hss;
  readonly auc: Auc;
  readonly logger: Logger;
  /** DESIGN.md 7: every route but the probes and /openapi.json needs a principal of the route's role. */
  readonly authenticator: Authenticator;
  /** What /readyz asks (default: the subscriber store answers a read). */
  readonly readiness?: readonly ReadinessCheck[];
  /** Given to read them in-process (tests); built otherwise. */
  readonly metrics?: HssMetrics;
}

export const HSS_API_INFO = {
  title: 'ltku HSS/AuC',
  version: '1.0.0',
  description:
    'Nudm_UEAU-shaped vector generation (TS 29.503) and subscriber administration with key transition (DESIGN.md 6)',
};

/** The HSS's dependency: its subscriber store answers a read of one record. */
export function hssStoreReadiness(hss: Hss): ReadinessCheck {
  return {
    name: 'store',
    probe: async () => {
      await hss.list(1, 0);
    },
  };
}

export function buildHssApp(deps: HssAppDeps): FastifyInstance {
  const metrics = deps.metrics ?? new HssMetrics();
  return createServiceApp({
    service: 'hss',
    title: 'HSS',
    logger: deps.logger,
    authenticator: deps.authenticator,
    info: HSS_API_INFO,
    routes: hssRoutes(deps.hss, deps.auc, metrics),
    readiness: deps.readiness ?? [hssStoreReadiness(deps.hss)],
    metrics,
    mapError: hssProblemOf,
  });
}

// The core network's attach API on the kit (src/http): the route table of routes.ts, ProblemDetails from the
// core's errors, /healthz, /readyz (the HSS answers), /openapi.json and /metrics; the push keep-alive timer.
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../auth/index.js';
import type { RandomSource } from '../../crypto/index.js';
import { createServiceApp, HttpMetrics, type ReadinessCheck } from '../../http/index.js';
import type { Clock, Logger } from '../../ports/index.js';
import { AttachService, type AuthDataSource } from '../attach-service.js';
import { PushHub } from '../push.js';
import { coreProblemOf } from './problem.js';
import { ATTACH_TOKEN_SCHEME, coreRoutes } from './routes.js';

/** What the core needs: the HSS (its client), time, randomness (attach ids), a logger. */
export interface CoreDeps {
  readonly hss: AuthDataSource;
  readonly clock: Clock;
  readonly rng: RandomSource;
  readonly logger: Logger;
  /** DESIGN.md 7: push needs a provisioner, UE state an operator; attach and its answer stay open (UE-facing). */
  readonly authenticator: Authenticator;
  /** Used when the UE names none (default 5G:mnc001.mcc001.3gppnetwork.org). */
  readonly servingNetworkName?: string;
  readonly challengeTtlMs?: number;
  /** Comment lines on idle event streams (default 15 s; 0: none). */
  readonly keepAliveMs?: number;
  /** Given to share state with the caller (e.g. the demo hosting several roles); built otherwise. */
  readonly service?: AttachService;
  readonly push?: PushHub;
  /** What /readyz asks (default: the HSS's /readyz, when the HSS source has `ready`). */
  readonly readiness?: readonly ReadinessCheck[];
  readonly metrics?: HttpMetrics;
}

const DEFAULT_KEEP_ALIVE_MS = 15_000;

export const CORE_API_INFO = {
  title: 'ltku core network (AMF/SEAF with the AUSF role)',
  version: '1.0.0',
  description: '5G AKA attach and detach against the HSS, and a push channel to attached UEs',
  securitySchemes: {
    [ATTACH_TOKEN_SCHEME]: {
      type: 'http',
      scheme: 'bearer',
      description: 'the attachToken the attach returned',
    },
  },
};

/** The core's dependency: the HSS answers its /readyz. */
export function hssReadiness(hss: AuthDataSource): ReadinessCheck[] {
  const ready = hss.ready?.bind(hss);
  return ready === undefined ? [] : [{ name: 'hss', probe: ready }];
}

export function buildCoreApp(deps: CoreDeps): FastifyInstance {
  const service = deps.service ?? new AttachService(deps);
  const push = deps.push ?? new PushHub();
  const app = createServiceApp({
    service: 'core',
    title: 'core',
    logger: deps.logger,
    authenticator: deps.authenticator,
    info: CORE_API_INFO,
    routes: coreRoutes(service, push),
    readiness: deps.readiness ?? hssReadiness(deps.hss),
    metrics: deps.metrics ?? new HttpMetrics(),
    mapError: coreProblemOf,
  });

  const keepAliveMs = deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const timer = keepAliveMs > 0 ? setInterval(() => push.keepAlive(), keepAliveMs) : undefined;
  timer?.unref();
  app.addHook('preClose', async () => {
    if (timer !== undefined) clearInterval(timer);
    push.closeAll();
  });
  return app;
}

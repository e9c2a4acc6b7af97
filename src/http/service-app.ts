// A service's listener in one call: the kit's app, the service's route table, and the routes every service
// has (/healthz, /readyz, /openapi.json of the whole table, /metrics for the operator role).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Authenticator } from '../auth/index.js';
import { createHttpApp, type HttpAppOptions } from './app.js';
import { metricsRoute, type HttpMetrics } from './metrics.js';
import { buildOpenApi, type ApiInfo } from './openapi.js';
import { probeRoutes, type ReadinessCheck } from './probes.js';
import { registerRoutes, route, type Route } from './routes.js';

export const OPENAPI_PATH = '/openapi.json';

export interface ServiceAppOptions extends HttpAppOptions {
  readonly authenticator: Authenticator;
  readonly info: ApiInfo;
  readonly routes: readonly Route[];
  readonly readiness: readonly ReadinessCheck[];
  /** Served at /metrics (role operator) and counting requests. */
  readonly metrics: HttpMetrics;
}

/** The service's routes with the common ones; /openapi.json describes them all. */
export function withCommonRoutes(o: ServiceAppOptions): Route[] {
  const all: Route[] = [...o.routes, ...probeRoutes(o.readiness, o.logger), metricsRoute(o.metrics)];
  let doc: unknown;
  all.push(
    route({
      method: 'GET',
      path: OPENAPI_PATH,
      summary: 'This description (OpenAPI 3.1)',
      ok: { status: 200, description: 'OpenAPI 3.1', schema: z.object({ openapi: z.string() }) },
      handler: async () => (doc ??= buildOpenApi(o.info, all)),
    }),
  );
  return all;
}

export function createServiceApp(o: ServiceAppOptions): FastifyInstance {
  const app = createHttpApp(o);
  registerRoutes(app, withCommonRoutes(o), o.authenticator);
  return app;
}

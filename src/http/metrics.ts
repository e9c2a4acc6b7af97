// Prometheus metrics (https://prometheus.io/docs/practices/naming/): one registry per app, never prom-client's
// global one, so a process (or a test) can build several apps. Names `ltku_*`, base units, counters `_total`;
// labels are routes, statuses and outcomes, never an IMSI, ICCID or EID.
import { Counter, Registry } from 'prom-client';
import { ROLE_OPERATOR } from '../auth/index.js';
import { route, type Route } from './routes.js';

export const METRICS_PATH = '/metrics';

export class HttpMetrics {
  readonly registry = new Registry();
  /** HTTP requests by method, route pattern (never the URL) and status. */
  readonly requests = new Counter({
    name: 'ltku_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  /** The Prometheus text exposition of every metric of this registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** DESIGN.md 7: /metrics is an admin-listener route for the operator role (README "Metrics"). */
export function metricsRoute(metrics: HttpMetrics): Route {
  return route({
    method: 'GET',
    path: METRICS_PATH,
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    roles: [ROLE_OPERATOR],
    ok: { status: 200, description: 'the metrics', contentType: metrics.registry.contentType },
    handler: async ({ reply }) => {
      reply.type(metrics.registry.contentType);
      return metrics.text();
    },
  });
}

// The HSS's Prometheus metrics besides HTTP requests: vectors served, resynchronisations, MAC failures reported
// (DESIGN.md 6 self-healing). No IMSI label: counts only.
import { Counter } from 'prom-client';
import { HttpMetrics } from '../../http/index.js';

export class HssMetrics extends HttpMetrics {
  /** TS 29.503 / TS 33.401: authentication vectors handed out, by AV type. */
  readonly vectors = new Counter({
    name: 'ltku_hss_vectors_served_total',
    help: 'Authentication vectors served, by AV type (5G_HE_AKA, EPS_AKA)',
    labelNames: ['av_type'] as const,
    registers: [this.registry],
  });
  /** TS 33.102 6.3.5: vectors served after a resynchronisation (AUTS). */
  readonly resyncs = new Counter({
    name: 'ltku_hss_resyncs_total',
    help: 'Vectors served after a resynchronisation with AUTS',
    registers: [this.registry],
  });
  /** Auth events reporting MAC_FAILURE (DESIGN.md 6: they arm the fallback to the candidate). */
  readonly macFailures = new Counter({
    name: 'ltku_hss_mac_failures_reported_total',
    help: 'Authentication events reporting a MAC failure',
    registers: [this.registry],
  });
}

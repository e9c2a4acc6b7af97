// The Provisioning Server's Prometheus metrics besides HTTP requests: key-update sessions by outcome, their
// duration, security alarms (DESIGN.md 4.4, 7). Labels are outcomes only: never an EID, ICCID or IMSI.
import { Counter, Histogram } from 'prom-client';
import { HttpMetrics } from '../http/index.js';
import type { SessionEnd } from './ram-endpoint.js';

/** Seconds: a session is a few HTTP round trips to a UE, up to the idle limit (2 min). */
const SESSION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** 'applied', 'refused' (the card said no), 'failed' (an error in the session), 'abandoned' (no outcome). */
export function outcomeLabel(e: SessionEnd): string {
  return typeof e.outcome === 'string' ? e.outcome : e.outcome.kind;
}

export class ServerMetrics extends HttpMetrics {
  #alarms: () => number = () => 0;

  readonly keyUpdates = new Counter({
    name: 'ltku_server_key_updates_total',
    help: 'Key-update sessions ended, by outcome (applied, refused, failed, abandoned)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly sessionDuration = new Histogram({
    name: 'ltku_server_session_duration_seconds',
    help: 'Duration of key-update sessions from the first POST to their end, by outcome',
    labelNames: ['outcome'] as const,
    buckets: SESSION_BUCKETS,
    registers: [this.registry],
  });
  readonly securityAlarms: Counter;

  constructor() {
    super();
    const alarms = () => this.#alarms();
    this.securityAlarms = new Counter({
      name: 'ltku_server_security_alarms_total',
      help: 'Security alarms raised (outcome 06 reports, runs of failed attempts, card key pin mismatches; DESIGN.md 4.4, 7, issue 13)',
      registers: [this.registry],
      // read from the job service when scraped (it counts them)
      collect() {
        this.reset();
        this.inc(alarms());
      },
    });
  }

  /** The count of alarms since start, read at each scrape. */
  countAlarmsFrom(source: () => number): void {
    this.#alarms = source;
  }

  sessionEnded(e: SessionEnd): void {
    const outcome = outcomeLabel(e);
    this.keyUpdates.inc({ outcome });
    this.sessionDuration.observe({ outcome }, e.seconds);
  }
}

// Issue 13: the OCE expiry guard of a server: refuses at start inside the safety margin, warns inside the warning
// window, and checks again periodically while running (log and metrics when the margin is crossed).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Certificate } from '../pki/index.js';
import type { Clock, Logger } from '../ports/index.js';
import { ServerConfigError } from './errors.js';
import {
  describeExpiring,
  judgeOceValidity,
  OCE_VALIDITY_DEFAULTS,
  type OceValidityPolicy,
  type OceValidityVerdict,
} from './oce-validity.js';

const MARGIN = 'safety margin';
const WINDOW = 'warning window';
const EXPIRY_GAUGE = 'ltku_server_oce_certificate_expiry_seconds';
const ALARM_COUNTER = 'ltku_server_oce_expiry_alarms_total';

export class OceValidityWatch {
  readonly #chains: readonly (readonly Certificate[])[];
  readonly #policy: OceValidityPolicy;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  /** Periodic checks that found a certificate inside the safety margin. */
  alarms = 0;

  constructor(
    chains: readonly (readonly Certificate[])[],
    policy: OceValidityPolicy,
    clock: Clock,
    logger: Logger,
    registry?: Registry,
  ) {
    this.#chains = chains;
    this.#policy = policy;
    this.#clock = clock;
    this.#logger = logger;
    if (registry !== undefined) this.#register(registry);
  }

  /** The verdict now. */
  check(): OceValidityVerdict {
    return judgeOceValidity(this.#chains, this.#clock.now(), this.#policy);
  }

  /** At start: a ServerConfigError naming each certificate inside the margin; a warning for the window. */
  checkAtStart(): OceValidityVerdict {
    const verdict = this.check();
    if (verdict.level === 'refuse') {
      const lines = verdict.refused.map((c) => describeExpiring(c, this.#policy.minValidityDays, MARGIN));
      throw new ServerConfigError(
        `refusing to run: ${lines.join('; ')}; issue a new one (ltku pki issue --role oce)`,
      );
    }
    this.#warn(verdict);
    return verdict;
  }

  /** A periodic check: an error log and an alarm when inside the margin, a warning inside the window. */
  checkRunning(): OceValidityVerdict {
    const verdict = this.check();
    if (verdict.level === 'refuse') {
      this.alarms++;
      for (const c of verdict.refused) {
        this.#logger.error(
          { event: 'oce-certificate-expiring', serial: c.serial, notAfter: c.notAfter.toISOString() },
          describeExpiring(c, this.#policy.minValidityDays, MARGIN),
        );
      }
    }
    this.#warn(verdict);
    return verdict;
  }

  /** Checks every policy.checkIntervalMs (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    const interval = this.#policy.checkIntervalMs ?? OCE_VALIDITY_DEFAULTS.checkIntervalMs;
    this.#timer = setInterval(() => this.checkRunning(), Math.max(interval, 1));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #warn(verdict: OceValidityVerdict): void {
    for (const c of verdict.warned) {
      this.#logger.warn(
        { event: 'oce-certificate-expiry-warning', serial: c.serial, notAfter: c.notAfter.toISOString() },
        describeExpiring(c, this.#policy.warnDays, WINDOW),
      );
    }
  }

  #register(registry: Registry): void {
    const watch = this;
    if (registry.getSingleMetric(EXPIRY_GAUGE) === undefined) {
      new Gauge({
        name: EXPIRY_GAUGE,
        help: 'Seconds until the soonest OCE certificate (leaf or chain) expires (negative once expired)',
        registers: [registry],
        collect() {
          const earliest = watch.check().earliest;
          if (earliest !== undefined) this.set((earliest.getTime() - watch.#clock.now().getTime()) / 1000);
        },
      });
    }
    if (registry.getSingleMetric(ALARM_COUNTER) === undefined) {
      new Counter({
        name: ALARM_COUNTER,
        help: 'Periodic checks that found an OCE certificate inside the safety margin',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(watch.alarms);
        },
      });
    }
  }
}

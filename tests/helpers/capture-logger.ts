// A Logger for tests that keeps every entry, so that a test can read what was logged (and what was not).
import type { Logger } from '../../src/ports/index.js';

/** A logger (its children too) appending each entry to `logs` as `JSON.stringify([obj, msg])`. */
export function captureLogger(): { logger: Logger; logs: string[] } {
  const logs: string[] = [];
  const capture = (obj: object | string, msg?: string) => void logs.push(JSON.stringify([obj, msg]));
  const logger: Logger = {
    trace: capture,
    debug: capture,
    info: capture,
    warn: capture,
    error: capture,
    child: () => logger,
  };
  return { logger, logs };
}

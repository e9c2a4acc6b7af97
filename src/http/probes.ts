// Kubernetes-style probes: /healthz says the process answers; /readyz that its dependencies answer (the store,
// the HSS). A failing dependency is named in a 503, its error only in the log.
import { z } from 'zod';
import type { Logger } from '../ports/index.js';
import { CAUSE_NOT_READY, sendProblem, titleOf } from './problem.js';
import { route, type Route } from './routes.js';

export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';
/** A dependency slower than this is not ready. */
export const READINESS_TIMEOUT_MS = 2_000;

/** One dependency of a service: resolves when it is reachable, rejects otherwise. */
export interface ReadinessCheck {
  readonly name: string;
  probe(): Promise<void>;
}

const statusSchema = z.object({ status: z.string() });
const readySchema = z.object({ status: z.literal('ready'), checks: z.array(z.string()) });

async function within(check: ReadinessCheck, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([check.probe(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function probeRoutes(checks: readonly ReadinessCheck[], logger: Logger): Route[] {
  return [
    route({
      method: 'GET',
      path: HEALTHZ_PATH,
      summary: 'Liveness: the process answers',
      ok: { status: 200, description: 'alive', schema: statusSchema },
      handler: async () => ({ status: 'ok' }),
    }),
    route({
      method: 'GET',
      path: READYZ_PATH,
      summary: `Readiness: every dependency answers (${checks.map((c) => c.name).join(', ') || 'none'})`,
      ok: { status: 200, description: 'ready', schema: readySchema },
      errors: [503],
      handler: async ({ reply }) => {
        const failed: string[] = [];
        await Promise.all(
          checks.map((c) =>
            within(c, READINESS_TIMEOUT_MS).catch((e: Error) => {
              failed.push(c.name);
              logger.warn(
                { event: 'not-ready', dependency: c.name, error: e.message },
                `${c.name} not reachable`,
              );
            }),
          ),
        );
        if (failed.length > 0) {
          failed.sort();
          return sendProblem(reply, {
            status: 503,
            title: titleOf(503),
            detail: `not ready: ${failed.join(', ')} not reachable`,
            cause: CAUSE_NOT_READY,
          });
        }
        return { status: 'ready', checks: checks.map((c) => c.name) };
      },
    }),
  ];
}

// DESIGN.md 4.7 / GPC Amd B: the UE-facing RAM-over-HTTP endpoint. The first POST (no body) to /ram/v1 opens a
// session for the card named in X-Admin-From; each answer is a command script with X-Admin-Next-URI; each
// later POST carries the response script; 204 ends it. X-Admin-Resume: true starts over after a drop.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ADMIN_PROTOCOL,
  CONTENT_TYPE_COMMAND_SCRIPT,
  CONTENT_TYPE_RESPONSE_SCRIPT,
  HEADER_ADMIN_FROM,
  HEADER_ADMIN_NEXT_URI,
  HEADER_ADMIN_PROTOCOL,
  HEADER_ADMIN_RESUME,
  HEADER_ADMIN_SCRIPT_STATUS,
  RemoteScriptError,
  decodeResponseScript,
  eidOfAdminFrom,
  encodeCommandScript,
  type CommandApdu,
} from '../iso7816/index.js';
import type { Logger } from '../ports/index.js';
import type { JobService } from './jobs.js';
import { KeyUpdateSession, type SessionConfig, type SessionOutcome } from './session.js';
import type { Suite } from './suite.js';

export const RAM_PATH = '/ram/v1';
const SESSION_PATH = `${RAM_PATH}/sessions`;
const DEFAULT_IDLE_MS = 120_000;

interface Live {
  readonly id: string;
  readonly session: KeyUpdateSession;
  finish(o: SessionOutcome | 'abandoned'): Promise<unknown>;
  busy: boolean;
  timer: NodeJS.Timeout;
}

export interface RamEndpointOptions {
  readonly jobs: JobService;
  readonly session: SessionConfig;
  readonly logger: Logger;
  /** A session without a POST for this long is dropped (default 2 min). */
  readonly idleMs?: number;
  /** Called when a session ends (for narration and metrics). */
  readonly onSessionEnd?: (e: SessionEnd) => void;
}

export interface SessionEnd {
  readonly eid: string;
  readonly iccid: string;
  readonly outcome: SessionOutcome | 'abandoned';
  readonly scripts: number;
  /** The negotiated suite (absent when the session ended before step 2). */
  readonly suite?: Suite;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function checkAdminHeaders(req: FastifyRequest): string {
  if (header(req, HEADER_ADMIN_PROTOCOL) !== ADMIN_PROTOCOL) {
    throw new HttpFailure(400, `X-Admin-Protocol must be ${ADMIN_PROTOCOL}`);
  }
  const eid = eidOfAdminFrom(header(req, HEADER_ADMIN_FROM));
  if (eid === undefined) throw new HttpFailure(400, 'X-Admin-From must be //se-id/eid/<32 digits>');
  return eid;
}

export function registerRamEndpoint(app: FastifyInstance, o: RamEndpointOptions): { close(): void } {
  const live = new Map<string, Live>();
  const byEid = new Map<string, Live>();

  const end = async (l: Live, outcome: SessionOutcome | 'abandoned') => {
    clearTimeout(l.timer);
    live.delete(l.id);
    if (byEid.get(l.session.eid) === l) byEid.delete(l.session.eid);
    if (outcome === 'abandoned') l.session.abandon();
    await l.finish(outcome);
    const suite = l.session.suite;
    o.onSessionEnd?.({
      eid: l.session.eid,
      iccid: l.session.iccid,
      outcome,
      scripts: l.session.scripts,
      ...(suite === undefined ? {} : { suite }),
    });
  };
  const arm = (l: Live) => {
    clearTimeout(l.timer);
    l.timer = setTimeout(() => void end(l, 'abandoned').catch(() => {}), o.idleMs ?? DEFAULT_IDLE_MS);
    l.timer.unref();
  };

  const sendScript = (reply: FastifyReply, l: Live, commands: CommandApdu[]) => {
    arm(l);
    const body = encodeCommandScript(commands);
    // DESIGN.md 7: APDUs at trace, and only their headers (the data of secured commands is ciphertext anyway).
    o.logger.trace(
      {
        event: 'ram-script',
        eid: l.session.eid,
        script: l.session.scripts,
        bytes: body.length,
        apdus: commands.map((c) =>
          [c.cla, c.ins, c.p1, c.p2].map((b) => b.toString(16).padStart(2, '0')).join(''),
        ),
      },
      'command script',
    );
    return reply
      .code(200)
      .header('content-type', CONTENT_TYPE_COMMAND_SCRIPT)
      .header(HEADER_ADMIN_NEXT_URI, `${SESSION_PATH}/${l.id}`)
      .send(Buffer.from(body));
  };

  const fail = (reply: FastifyReply, e: unknown) => {
    if (e instanceof HttpFailure) return reply.code(e.status).type('text/plain').send(e.message);
    throw e;
  };

  for (const type of [CONTENT_TYPE_RESPONSE_SCRIPT, CONTENT_TYPE_COMMAND_SCRIPT]) {
    app.addContentTypeParser(type.split(';')[0], { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
  }

  // GPC Amd B 3.3: the agent's first POST opens the session
  app.post(RAM_PATH, async (req, reply) => {
    try {
      const eid = checkAdminHeaders(req);
      const resume = header(req, HEADER_ADMIN_RESUME) === 'true';
      const previous = byEid.get(eid);
      if (previous !== undefined) {
        o.logger.warn(
          { event: 'ram-session-superseded', eid, resume },
          'a new session replaces an unfinished one',
        );
        await end(previous, 'abandoned');
      }
      const claim = await o.jobs.claim(eid);
      if (claim === undefined) return reply.code(204).send();
      const session = new KeyUpdateSession(eid, claim.order, o.session, claim.hooks);
      const l: Live = {
        id: randomUUID(),
        session,
        finish: claim.finish,
        busy: false,
        timer: setTimeout(() => {}, 0),
      };
      live.set(l.id, l);
      byEid.set(eid, l);
      o.logger.info(
        { event: 'ram-session', eid, resume, recover: claim.order.recover },
        'key update session opened',
      );
      return sendScript(reply, l, session.start());
    } catch (e) {
      return fail(reply, e);
    }
  });

  app.post(`${SESSION_PATH}/:id`, async (req, reply) => {
    try {
      const eid = checkAdminHeaders(req);
      const l = live.get((req.params as { id: string }).id);
      if (l === undefined || l.session.eid !== eid)
        throw new HttpFailure(404, 'no such RAM session (expired or ended)');
      const type = header(req, 'content-type') ?? '';
      if (!type.startsWith(CONTENT_TYPE_RESPONSE_SCRIPT.split(';')[0])) {
        throw new HttpFailure(415, `Content-Type must be ${CONTENT_TYPE_RESPONSE_SCRIPT}`);
      }
      if (l.busy) throw new HttpFailure(409, 'a POST of this session is already being processed');
      const status = header(req, HEADER_ADMIN_SCRIPT_STATUS);
      if (status !== undefined && status !== 'ok') {
        o.logger.warn({ event: 'ram-script-status', eid, status }, 'agent reports a script status');
      }
      let script;
      try {
        script = decodeResponseScript(new Uint8Array(req.body as Buffer));
      } catch (e) {
        if (e instanceof RemoteScriptError) throw new HttpFailure(400, e.message);
        throw e;
      }
      l.busy = true;
      let step;
      try {
        step = await l.session.next(script);
      } catch (e) {
        // Not the card's doing (the HSS unreachable while staging, ...): the job waits for the next session.
        await end(l, 'abandoned');
        throw new HttpFailure(500, `key update session stopped: ${(e as Error).message}`);
      } finally {
        l.busy = false;
      }
      if (step.kind === 'script') return sendScript(reply, l, step.commands);
      await end(l, step.outcome);
      return reply.code(204).send();
    } catch (e) {
      return fail(reply, e);
    }
  });

  return {
    close() {
      for (const l of live.values()) clearTimeout(l.timer);
    },
  };
}

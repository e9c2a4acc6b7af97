// DESIGN.md 4.7, 7 / GPC Amd B: the UE-facing RAM-over-HTTP endpoint. The first POST (no body) to /ram/v1 opens a
// session for the card named in X-Admin-From; each answer is a command script with X-Admin-Next-URI; each
// later POST carries the response script; 204 ends it. The endpoint faces the Internet: anyone who knows an EID
// can open a session, so a new session ends nothing until the card has authenticated in it; only then does
// it supersede the EID's earlier sessions. Sessions not yet authenticated are kept apart, a few per EID.
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
  HEADER_LTKU_JOB,
  HEADER_LTKU_JOB_STATE,
  HEADER_LTKU_KEY_VERSION,
} from '../iso7816/index.js';
import { CAUSE_SYSTEM_FAILURE, sendProblem, titleOf } from '../http/index.js';
import type { Logger } from '../ports/index.js';
import type { ClaimedJob, JobService } from './jobs.js';
import {
  KeyUpdateSession,
  type CardAuthenticated,
  type SessionConfig,
  type SessionOutcome,
} from './session.js';
import type { Suite } from './suite.js';

export const RAM_PATH = '/ram/v1';
const SESSION_PATH = `${RAM_PATH}/sessions`;
const DEFAULT_IDLE_MS = 120_000;
/** DESIGN.md 7: sessions of one EID in which the card has not authenticated yet; the oldest is dropped. */
export const MAX_UNAUTHENTICATED_PER_EID = 4;
/** The only text a 5xx carries: what went wrong inside is for the log, not for whoever is on the Internet. */
const INTERNAL_ERROR = 'key update session stopped: internal error';

interface Live {
  readonly id: string;
  /** Opening order: a session supersedes only sessions of its EID opened before it. */
  readonly seq: number;
  /** performance.now() at the first POST (the session duration metric). */
  readonly openedAt: number;
  readonly session: KeyUpdateSession;
  readonly claim: ClaimedJob;
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
  /** 'abandoned': the session ended without an outcome (UE gone, superseded, or an internal failure). */
  readonly outcome: SessionOutcome | 'abandoned';
  readonly scripts: number;
  /** From the first POST to the end. */
  readonly seconds: number;
  /** The negotiated suite (absent when the session ended before step 2). */
  readonly suite?: Suite;
}

/** How a session ends: its outcome; 'superseded' by a later one the card authenticated in; 'error' inside. */
type Ending = SessionOutcome | 'superseded' | 'error';

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function internalError(reply: FastifyReply): FastifyReply {
  return sendProblem(reply, {
    status: 500,
    title: titleOf(500),
    detail: INTERNAL_ERROR,
    cause: CAUSE_SYSTEM_FAILURE,
  });
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
  /** Every live session of an EID, oldest first. */
  const byEid = new Map<string, Live[]>();
  let opened = 0;

  const end = async (l: Live, ending: Ending) => {
    if (!live.delete(l.id)) return;
    clearTimeout(l.timer);
    const eid = l.session.eid;
    const rest = (byEid.get(eid) ?? []).filter((x) => x !== l);
    if (rest.length === 0) byEid.delete(eid);
    else byEid.set(eid, rest);
    if (typeof ending === 'string') l.session.abandon();
    const job = await l.claim.finish(typeof ending === 'string' ? 'released' : ending);
    const suite = l.session.suite;
    o.onSessionEnd?.({
      eid,
      iccid: l.session.iccid,
      outcome: typeof ending === 'string' ? 'abandoned' : ending,
      scripts: l.session.scripts,
      seconds: (performance.now() - l.openedAt) / 1000,
      ...(suite === undefined ? {} : { suite }),
    });
    return job;
  };
  // The UE went away (idle, or pushed out by newer unauthenticated sessions): before authentication this
  // counts an attempt against the job; after it, the job stays as it is.
  const drop = (l: Live) =>
    end(l, l.session.abandon()).catch((e: Error) =>
      o.logger.error(
        { event: 'ram-session-error', eid: l.session.eid, error: e.message },
        'ending a session failed',
      ),
    );
  const arm = (l: Live) => {
    clearTimeout(l.timer);
    l.timer = setTimeout(() => void drop(l), o.idleMs ?? DEFAULT_IDLE_MS);
    l.timer.unref();
  };

  // DESIGN.md 7: the card authenticated in `l`; the EID's sessions opened before it end without a finding.
  const supersedeEarlier = async (l: Live) => {
    for (const other of byEid.get(l.session.eid) ?? []) {
      if (other.seq >= l.seq) continue;
      o.logger.warn(
        { event: 'ram-session-superseded', eid: l.session.eid, authenticated: other.session.authenticated },
        'the card authenticated in a newer session; the earlier one ends',
      );
      await end(other, 'superseded');
    }
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

  // ProblemDetails like every listener's; a 5xx says only INTERNAL_ERROR (the details go to the log)
  const fail = (reply: FastifyReply, e: unknown, eid: string | undefined) => {
    if (e instanceof HttpFailure)
      return sendProblem(reply, { status: e.status, title: titleOf(e.status), detail: e.message });
    o.logger.error({ event: 'ram-session-error', eid, error: (e as Error).message }, 'RAM request failed');
    return internalError(reply);
  };

  for (const type of [CONTENT_TYPE_RESPONSE_SCRIPT, CONTENT_TYPE_COMMAND_SCRIPT]) {
    app.addContentTypeParser(type.split(';')[0], { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
  }

  // GPC Amd B 3.3: the agent's first POST opens the session
  app.post(RAM_PATH, async (req, reply) => {
    let eid: string | undefined;
    try {
      eid = checkAdminHeaders(req);
      const resume = header(req, HEADER_ADMIN_RESUME) === 'true';
      const id = randomUUID();
      const claim = await o.jobs.claim(eid, id);
      if (claim === undefined) return reply.code(204).send();
      let l: Live | undefined;
      const hooks = {
        ...claim.hooks,
        authenticated: async (info: CardAuthenticated) => {
          await claim.hooks.authenticated?.(info);
          if (l !== undefined) await supersedeEarlier(l);
        },
      };
      const session = new KeyUpdateSession(eid, claim.order, o.session, hooks);
      l = {
        id,
        seq: opened++,
        openedAt: performance.now(),
        session,
        claim,
        busy: false,
        timer: setTimeout(() => {}, 0),
      };
      live.set(id, l);
      const sessions = [...(byEid.get(eid) ?? []), l];
      byEid.set(eid, sessions);
      const waiting = sessions.filter((x) => !x.session.authenticated);
      for (const old of waiting.slice(0, Math.max(0, waiting.length - MAX_UNAUTHENTICATED_PER_EID))) {
        o.logger.warn(
          { event: 'ram-session-dropped', eid },
          'too many unauthenticated sessions for this EID',
        );
        await drop(old);
      }
      o.logger.info(
        { event: 'ram-session', eid, resume, recover: claim.order.recover },
        'key update session opened',
      );
      return sendScript(reply, l, session.start());
    } catch (e) {
      return fail(reply, e, eid);
    }
  });

  app.post(`${SESSION_PATH}/:id`, async (req, reply) => {
    let eid: string | undefined;
    try {
      eid = checkAdminHeaders(req);
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
        // Not the card's doing (the HSS unreachable while staging, ...): the job stays as it was.
        o.logger.error(
          { event: 'ram-session-error', eid, error: (e as Error).message },
          'key update session stopped',
        );
        await end(l, 'error');
        return internalError(reply);
      } finally {
        l.busy = false;
      }
      // Superseded while this POST was processed: nothing more goes to this UE.
      if (!live.has(l.id)) throw new HttpFailure(409, 'the RAM session was superseded');
      if (step.kind === 'script') return sendScript(reply, l, step.commands);
      const job = await end(l, step.outcome);
      if (job !== undefined)
        reply.headers({
          [HEADER_LTKU_JOB]: job.id,
          [HEADER_LTKU_JOB_STATE]: job.state,
          [HEADER_LTKU_KEY_VERSION]: String(job.keyVersion),
        });
      return reply.code(204).send();
    } catch (e) {
      return fail(reply, e, eid);
    }
  });

  return {
    close() {
      for (const l of live.values()) clearTimeout(l.timer);
    },
  };
}

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
import type { JobService } from './jobs.js';
import {
  KeyUpdateSession,
  type CardAuthenticated,
  type SessionConfig,
  type SessionOutcome,
} from './session.js';
import type { Suite } from './suite.js';
import type { CardManagementService } from './card-management/service.js';
import { CardManagementSession, type CardSessionOutcome } from './card-management/session.js';

export const RAM_PATH = '/ram/v1';
const SESSION_PATH = `${RAM_PATH}/sessions`;
const DEFAULT_IDLE_MS = 120_000;
/** DESIGN.md 7: sessions of one EID in which the card has not authenticated yet; the oldest is dropped. */
export const MAX_UNAUTHENTICATED_PER_EID = 4;
/** The media types without their parameters, as the content-type parsers and the check of a POST take them. */
const RESPONSE_SCRIPT_TYPE = CONTENT_TYPE_RESPONSE_SCRIPT.split(';')[0];
const COMMAND_SCRIPT_TYPE = CONTENT_TYPE_COMMAND_SCRIPT.split(';')[0];
/** The only text a 5xx carries: what went wrong inside is for the log, not for whoever is on the Internet. */
const INTERNAL_ERROR = 'key update session stopped: internal error';

/** What the endpoint needs of a session, whatever it does once the card authenticated (O: its outcome). */
interface RamSession<O> {
  readonly eid: string;
  readonly scripts: number;
  readonly authenticated: boolean;
  start(): CommandApdu[];
  next(
    script: ReturnType<typeof decodeResponseScript>,
  ): Promise<{ kind: 'script'; commands: CommandApdu[] } | { kind: 'done'; outcome: O }>;
  abandon(): O;
}

interface Live {
  readonly id: string;
  /** Opening order: a session supersedes only sessions of its EID opened before it. */
  readonly seq: number;
  /** A key update, or (issue 13) card management when the card has no key update ready. */
  readonly session: RamSession<unknown>;
  /** Ends the claim with the session's outcome, or 'released'; the headers of the closing 204. */
  conclude(ending: unknown): Promise<Record<string, string>>;
  busy: boolean;
  /** The idle timer, armed with each script sent. */
  timer: NodeJS.Timeout | undefined;
}

export interface RamEndpointOptions {
  readonly jobs: JobService;
  /** Issue 13: offered to a card that has no key update ready (absent: key updates only). */
  readonly cardManagement?: CardManagementService;
  readonly session: SessionConfig;
  readonly logger: Logger;
  /** A session without a POST for this long is dropped (default 2 min). */
  readonly idleMs?: number;
  /** Called when a session ends (for narration and metrics). */
  readonly onSessionEnd?: (e: SessionEnd) => void;
  /** DESIGN.md 8: this instance's advertised base URL; X-Admin-Next-URI then pins the session to it. */
  readonly advertiseUrl?: string;
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
type Ending = { readonly outcome: unknown } | 'superseded' | 'error';

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

/** CLA INS P1 P2 of each command, in hex (the trace of a script). */
function apduHeaders(commands: readonly CommandApdu[]): string[] {
  return commands.map((c) => [c.cla, c.ins, c.p1, c.p2].map((b) => b.toString(16).padStart(2, '0')).join(''));
}

export function registerRamEndpoint(app: FastifyInstance, o: RamEndpointOptions): { close(): void } {
  const live = new Map<string, Live>();
  /** X-Admin-Next-URI up to the session id (DESIGN.md 8: this instance's advertised URL, if any). */
  const nextUriBase = `${o.advertiseUrl?.replace(/\/+$/, '') ?? ''}${SESSION_PATH}`;
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
    return l.conclude(typeof ending === 'string' ? 'released' : ending.outcome);
  };
  // The UE went away (idle, or pushed out by newer unauthenticated sessions): before authentication this
  // counts an attempt against the job; after it, the job stays as it is.
  const drop = (l: Live) =>
    end(l, { outcome: l.session.abandon() }).catch((e: Error) =>
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

  type Work = Pick<Live, 'session' | 'conclude'> & { readonly about: Record<string, unknown> };

  // DESIGN.md 6, 7: the card's next key-update job, if one is ready.
  const keyUpdateWork = async (eid: string, id: string, authenticated: () => Promise<void>) => {
    const claim = await o.jobs.claim(eid, id);
    if (claim === undefined) return undefined;
    const hooks = {
      ...claim.hooks,
      authenticated: async (info: CardAuthenticated) => {
        await claim.hooks.authenticated?.(info);
        await authenticated();
      },
    };
    const session = new KeyUpdateSession(eid, claim.order, o.session, hooks);
    /** performance.now() at the first POST (the session duration metric). */
    const openedAt = performance.now();
    const work: Work = {
      session,
      about: { work: 'key-update', recover: claim.order.recover },
      async conclude(ending: SessionOutcome | 'released') {
        const job = await claim.finish(ending);
        const suite = session.suite;
        o.onSessionEnd?.({
          eid,
          iccid: session.iccid,
          outcome: ending === 'released' ? 'abandoned' : ending,
          scripts: session.scripts,
          seconds: (performance.now() - openedAt) / 1000,
          ...(suite === undefined ? {} : { suite }),
        });
        return {
          [HEADER_LTKU_JOB]: job.id,
          [HEADER_LTKU_JOB_STATE]: job.state,
          [HEADER_LTKU_KEY_VERSION]: String(job.keyVersion),
        };
      },
    };
    return work;
  };

  // Issue 13: the card's oldest card-management job (CA-KLOC rotation, deny list, OCE allowlist), if any.
  const cardWork = async (eid: string, id: string, authenticated: () => Promise<void>) => {
    const claim = await o.cardManagement?.claim(eid, id);
    if (claim === undefined) return undefined;
    const session = new CardManagementSession(
      eid,
      {
        authenticated: async (info) => {
          await claim.authenticated(info);
          await authenticated();
        },
        run: (channel) => claim.run(channel),
      },
      o.session,
    );
    const work: Work = {
      session,
      about: { work: claim.job.kind, job: claim.job.id },
      async conclude(ending: CardSessionOutcome | 'released') {
        const job = await claim.finish(ending);
        o.logger.info(
          {
            event: 'card-job-session-end',
            eid,
            job: job.id,
            kind: job.kind,
            state: job.state,
            outcome: ending === 'released' ? 'released' : ending.kind,
            scripts: session.scripts,
          },
          'card-management session ended',
        );
        return { [HEADER_LTKU_JOB]: job.id, [HEADER_LTKU_JOB_STATE]: job.state };
      },
    };
    return work;
  };

  const sendScript = (reply: FastifyReply, l: Live, commands: CommandApdu[]) => {
    arm(l);
    const body = encodeCommandScript(commands);
    // DESIGN.md 7: APDUs at trace, and only their headers (the data of secured commands is ciphertext anyway);
    // listed only when the line is written (issue 11: no per-script strings when trace is off).
    o.logger.trace(
      {
        event: 'ram-script',
        eid: l.session.eid,
        script: l.session.scripts,
        bytes: body.length,
        apdus: { toJSON: () => apduHeaders(commands) },
      },
      'command script',
    );
    return reply
      .code(200)
      .header('content-type', CONTENT_TYPE_COMMAND_SCRIPT)
      .header(HEADER_ADMIN_NEXT_URI, `${nextUriBase}/${l.id}`)
      .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  };

  // ProblemDetails like every listener's; a 5xx says only INTERNAL_ERROR (the details go to the log)
  const fail = (reply: FastifyReply, e: unknown, eid: string | undefined) => {
    if (e instanceof HttpFailure)
      return sendProblem(reply, { status: e.status, title: titleOf(e.status), detail: e.message });
    o.logger.error({ event: 'ram-session-error', eid, error: (e as Error).message }, 'RAM request failed');
    return internalError(reply);
  };

  for (const type of [RESPONSE_SCRIPT_TYPE, COMMAND_SCRIPT_TYPE]) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }

  // GPC Amd B 3.3: the agent's first POST opens the session
  app.post(RAM_PATH, async (req, reply) => {
    let eid: string | undefined;
    try {
      eid = checkAdminHeaders(req);
      const resume = header(req, HEADER_ADMIN_RESUME) === 'true';
      const id = randomUUID();
      let l: Live | undefined;
      const authenticated = async () => {
        if (l !== undefined) await supersedeEarlier(l);
      };
      // Key update first; card management (issue 13) when the card has no key update ready.
      const work = (await keyUpdateWork(eid, id, authenticated)) ?? (await cardWork(eid, id, authenticated));
      if (work === undefined) return reply.code(204).send();
      l = {
        id,
        seq: opened++,
        session: work.session,
        conclude: work.conclude,
        busy: false,
        timer: undefined,
      };
      const session = l.session;
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
      o.logger.info({ event: 'ram-session', eid, resume, ...work.about }, 'RAM session opened');
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
      if (!type.startsWith(RESPONSE_SCRIPT_TYPE)) {
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
      const headers = await end(l, { outcome: step.outcome });
      if (headers !== undefined) reply.headers(headers);
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

// Issue 13, DESIGN.md 4.7, 7: one card-management RAM session. Scripts 1 and 2 read the card and authenticate it
// (card-authentication.ts), as for a key update; then the job's steps (steps.ts) run inside the SCP11a channel,
// each secured command one script (the channel chains MACs, so a command waits for the previous answer), until
// the job reached its end or the card's answer stopped it. Nothing runs inside the channel before the card has
// authenticated, so nothing a UE sends before can move the job.
import { KeyManagementError, type Scp11Channel } from '../../gp/index.js';
import type { CommandApdu, ResponseScript } from '../../iso7816/index.js';
import {
  CardAuthentication,
  prepareSessionConfig,
  readScript,
  type Authenticated,
  type CardAuthenticated,
  type Handshake,
  type PreparedSessionConfig,
  type SessionConfig,
} from '../card-authentication.js';
import { SessionError } from '../errors.js';
import { asSessionError } from '../session.js';
import type { Suite } from '../suite.js';
import type { CardJobState } from './job.js';

/** What the session runs for its job (CardManagementService.claim). */
export interface CardWork {
  authenticated(info: CardAuthenticated): Promise<void>;
  run(channel: Scp11Channel): Promise<CardJobState>;
}

/** `authenticated`: whether the card had authenticated when the session failed (DESIGN.md 7). */
export type CardSessionOutcome =
  { kind: 'done'; state: CardJobState } | { kind: 'failed'; error: SessionError; authenticated: boolean };

export type CardSessionStep =
  { kind: 'script'; commands: CommandApdu[] } | { kind: 'done'; outcome: CardSessionOutcome };

type Phase =
  | { readonly kind: 'start' }
  | { readonly kind: 'read' }
  | ({ readonly kind: 'authenticate' } & Handshake)
  /** The job's steps run; `running` settles with the state they reached. */
  | { readonly kind: 'run'; readonly auth: Authenticated; readonly running: Promise<CardJobState> }
  | { readonly kind: 'done'; readonly suite: Suite | undefined };

function sessionErrorOf(e: unknown): SessionError | undefined {
  if (e instanceof KeyManagementError) return new SessionError('card-answer', e.message);
  return asSessionError(e);
}

export class CardManagementSession {
  readonly #auth: CardAuthentication;
  readonly #work: CardWork;
  readonly eid: string;
  #phase: Phase = { kind: 'start' };
  #authenticated = false;
  scripts = 0;

  constructor(eid: string, work: CardWork, config: SessionConfig | PreparedSessionConfig) {
    this.eid = eid;
    this.#work = work;
    this.#auth = new CardAuthentication(eid, prepareSessionConfig(config));
  }

  get suite(): Suite | undefined {
    const p = this.#phase;
    if (p.kind === 'authenticate' || p.kind === 'done') return p.suite;
    return p.kind === 'run' ? p.auth.suite : undefined;
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }

  start(): CommandApdu[] {
    if (this.#phase.kind !== 'start') throw new Error('session already started');
    this.#phase = { kind: 'read' };
    this.scripts = 1;
    return readScript();
  }

  async next(script: ResponseScript): Promise<CardSessionStep> {
    try {
      const step = await this.#step(script);
      if (step.kind === 'script') this.scripts++;
      else this.#end();
      return step;
    } catch (e) {
      this.#end();
      const error = sessionErrorOf(e);
      if (error === undefined) throw e;
      return { kind: 'done', outcome: { kind: 'failed', error, authenticated: this.#authenticated } };
    }
  }

  abandon(): CardSessionOutcome {
    this.#end();
    return {
      kind: 'failed',
      error: new SessionError('abandoned', 'the UE abandoned the session'),
      authenticated: this.#authenticated,
    };
  }

  /** eSK.OCE.ECKA wiped, the channel closed, an outstanding command failed (the steps stop there). */
  #end(): void {
    const p = this.#phase;
    if (p.kind === 'authenticate') this.#auth.abandon(p);
    if (p.kind === 'run') {
      p.auth.scp.close();
      p.auth.script.deliver([]);
    }
    this.#phase = { kind: 'done', suite: this.suite };
  }

  async #step(script: ResponseScript): Promise<CardSessionStep> {
    const p = this.#phase;
    switch (p.kind) {
      case 'read': {
        const { commands, handshake } = this.#auth.afterRead(script);
        this.#phase = { kind: 'authenticate', ...handshake };
        return { kind: 'script', commands };
      }
      case 'authenticate': {
        const auth = await this.#auth.afterAuthenticate(p, script, () => this.#phase === p);
        // The receipt verified: the card has authenticated (DESIGN.md 7).
        this.#authenticated = true;
        const running = Promise.resolve().then(async () => {
          await this.#work.authenticated({ suite: auth.suite, certificate: auth.certificate });
          return this.#work.run(auth.scp);
        });
        running.catch(() => undefined); // awaited below; a session ended meanwhile leaves it unobserved
        const phase: Phase = { kind: 'run', auth, running };
        this.#phase = phase;
        return this.#await(phase);
      }
      case 'run':
        p.auth.script.deliver(script.responses);
        return this.#await(p);
      default:
        throw new SessionError('card-answer', `no script outstanding (session ${p.kind})`);
    }
  }

  /** The next secured command the steps send, or the state they reached. */
  async #await(p: Extract<Phase, { kind: 'run' }>): Promise<CardSessionStep> {
    const next = await Promise.race([
      p.running.then((state) => ({ state })),
      p.auth.script.take(1).then((commands) => ({ commands })),
    ]);
    if (this.#phase !== p) throw new SessionError('job', 'the session ended meanwhile');
    if ('commands' in next) return { kind: 'script', commands: next.commands };
    return { kind: 'done', outcome: { kind: 'done', state: next.state } };
  }
}

// The HSS's operations on subscribers (what the admin API and the CLI call): provisioning, the key transition of
// DESIGN.md 6, authentication outcomes, the audit trail. Keys go in, never come out.
import type { Clock, Logger } from '../ports/index.js';
import { toHex, wipe } from '../bytes/index.js';
import { constantTimeEqual } from '../crypto/index.js';
import {
  TRANSACTION_ID_LENGTH,
  type AuditEvent,
  type CandidateInput,
  type KeyMaterial,
  type NewSubscriber,
  type SubscriberPatch,
  type SubscriberView,
} from './client/model.js';
import { ConflictError, InvalidRequestError, UnknownSubscriberError } from './errors.js';
import type { KeyVault } from './key-vault.js';
import type { ListFilter, NewRecord, SubscriberStore } from './store/store.js';
import {
  checkKeyMaterial,
  checkKeyVersion,
  DEFAULT_AMF,
  ICCID_PATTERN,
  IMSI_PATTERN,
  type SubscriberRecord,
} from './subscriber.js';
import {
  abort,
  authOutcome,
  commit,
  sameTransaction,
  stage,
  type Actor,
  type AuthOutcome,
} from './transition.js';
import { vectorsNotBefore } from './vectors.js';

export interface HssDeps {
  readonly store: SubscriberStore;
  readonly vault: KeyVault;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function viewOf(r: SubscriberRecord): SubscriberView {
  return {
    imsi: r.imsi,
    iccid: r.iccid,
    algorithm: r.active?.algorithm ?? null,
    activeVersion: r.active?.version ?? null,
    ...(r.activeTransactionId === null ? {} : { activeTransactionId: r.activeTransactionId }),
    ...(r.candidate === null
      ? {}
      : {
          candidate: {
            version: r.candidate.version,
            transactionId: r.candidate.transactionId,
            stagedAt: r.candidate.stagedAt,
          },
        }),
    ...(r.active?.tuak ? { tuak: r.active.tuak } : {}),
    amf: r.amf,
    sqn: r.sqn,
    updatedAt: r.updatedAt,
  };
}

function checkImsi(imsi: string, field = 'imsi'): string {
  if (!IMSI_PATTERN.test(imsi)) throw new InvalidRequestError(field, 'expected 15 digits');
  return imsi;
}

function checkTransactionId(id: Uint8Array): Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== TRANSACTION_ID_LENGTH)
    throw new InvalidRequestError('transactionId', `expected ${TRANSACTION_ID_LENGTH} bytes`);
  return id;
}

function checkPatch(p: SubscriberPatch): void {
  if (p.iccid !== undefined && !ICCID_PATTERN.test(p.iccid))
    throw new InvalidRequestError('iccid', 'expected 19 or 20 digits');
  if (p.amf !== undefined && p.amf.length !== 2) throw new InvalidRequestError('amf', 'expected 2 bytes');
}

export class Hss {
  constructor(private readonly deps: HssDeps) {}

  #actor(actor: string): Actor {
    return { actor, at: this.deps.clock.now() };
  }

  /** A new subscriber's record (keys sealed) and the audit line of its creation. */
  #newRecord(input: NewSubscriber, who: Actor): NewRecord {
    checkImsi(input.imsi);
    checkPatch(input);
    const version = checkKeyVersion(input.keyVersion ?? 1);
    const keys = checkKeyMaterial(input.keys);
    const record: SubscriberRecord = {
      imsi: input.imsi,
      iccid: input.iccid ?? null,
      amf: Uint8Array.from(input.amf ?? DEFAULT_AMF),
      sqn: 0n,
      indBits: 5,
      active: this.deps.vault.seal(input.imsi, version, keys),
      activeTransactionId: null,
      candidate: null,
      fallbackVersion: null,
      createdAt: who.at,
      updatedAt: who.at,
    };
    const audit: AuditEvent = {
      ...who,
      imsi: input.imsi,
      event: 'subscriber-created',
      keyVersion: version,
      transactionId: null,
    };
    return { record, audit };
  }

  async create(input: NewSubscriber, actor: string): Promise<SubscriberView> {
    const { record, audit } = this.#newRecord(input, this.#actor(actor));
    await this.deps.store.insert(record, [audit]);
    this.deps.logger.info(
      { imsi: input.imsi, keyVersion: record.active?.version, actor },
      'subscriber created',
    );
    return viewOf(record);
  }

  /**
   * Issue 11, bulk provisioning (`ltku hss import`): the subscribers whose IMSI is new, in one store transaction;
   * returns the IMSIs that already existed (left unchanged). Validates every entry before writing any.
   */
  async createMany(inputs: readonly NewSubscriber[], actor: string): Promise<{ existing: string[] }> {
    const who = this.#actor(actor);
    const entries = inputs.map((input) => this.#newRecord(input, who));
    const existing = await this.deps.store.insertMany(entries);
    this.deps.logger.info(
      { created: entries.length - existing.length, existing: existing.length, actor },
      'subscribers created in bulk',
    );
    return { existing };
  }

  /**
   * Issue 11 (`ltku fleet` verification): whether the active keys of `imsi` are these, compared in constant time
   * inside the HSS; the keys never leave it. Undefined when the subscriber or its active keys are absent.
   */
  async activeKeysEqual(imsi: string, keys: KeyMaterial, version: number): Promise<boolean | undefined> {
    checkImsi(imsi);
    const r = await this.deps.store.get(imsi);
    if (r?.active === null || r?.active === undefined) return undefined;
    if (r.active.version !== version || r.active.algorithm !== keys.algorithm) return false;
    const held = this.deps.vault.open(imsi, r.active);
    try {
      return (
        held.k.length === keys.k.length &&
        held.opc.length === keys.opc.length &&
        constantTimeEqual(held.k, keys.k) &&
        constantTimeEqual(held.opc, keys.opc)
      );
    } finally {
      wipe(held.k);
      wipe(held.opc);
    }
  }

  async get(imsi: string): Promise<SubscriberView> {
    checkImsi(imsi);
    const r = await this.deps.store.get(imsi);
    if (r === undefined) throw new UnknownSubscriberError(imsi);
    return viewOf(r);
  }

  /** Issue 11 (batch lookup): the subscribers of these IMSIs that exist, in no particular order. */
  async getMany(imsis: readonly string[]): Promise<SubscriberView[]> {
    for (const imsi of imsis) checkImsi(imsi);
    return (await this.deps.store.getMany(imsis)).map(viewOf);
  }

  async list(limit = 100, offset = 0, filter: ListFilter = {}): Promise<SubscriberView[]> {
    return (await this.deps.store.list(limit, offset, filter)).map(viewOf);
  }

  async update(imsi: string, patch: SubscriberPatch, actor: string): Promise<SubscriberView> {
    checkImsi(imsi);
    checkPatch(patch);
    const who = this.#actor(actor);
    const r = await this.deps.store.mutate(imsi, (current) => ({
      record: {
        ...current,
        iccid: patch.iccid ?? current.iccid,
        amf: patch.amf === undefined ? current.amf : Uint8Array.from(patch.amf),
        updatedAt: who.at,
      },
      audit: [
        {
          ...who,
          imsi,
          event: 'subscriber-updated',
          keyVersion: current.active?.version ?? null,
          transactionId: null,
        },
      ],
    }));
    return viewOf(r);
  }

  async delete(imsi: string, actor: string): Promise<void> {
    checkImsi(imsi);
    const who = this.#actor(actor);
    const audit: AuditEvent = {
      ...who,
      imsi,
      event: 'subscriber-deleted',
      keyVersion: null,
      transactionId: null,
    };
    if (!(await this.deps.store.delete(imsi, [audit]))) throw new UnknownSubscriberError(imsi);
    this.deps.logger.info({ imsi, actor }, 'subscriber deleted');
  }

  /** DESIGN.md 6 step 1 (idempotent for the same transaction id). */
  async stageCandidate(imsi: string, input: CandidateInput, actor: string): Promise<SubscriberView> {
    checkImsi(imsi);
    const version = checkKeyVersion(input.keyVersion);
    const transactionId = Uint8Array.from(checkTransactionId(input.transactionId));
    const keys = checkKeyMaterial(input.keys);
    const who = this.#actor(actor);
    const sealed = this.deps.vault.seal(imsi, version, keys);
    const r = await this.deps.store.mutate(imsi, (current) => {
      this.#checkRepeat(current, transactionId, keys);
      return stage(current, { ...sealed, transactionId, stagedAt: who.at }, who);
    });
    this.deps.logger.info(
      { imsi, keyVersion: version, transactionId: toHex(transactionId), actor },
      'candidate staged',
    );
    return viewOf(r);
  }

  /** A repeated stage of a transaction must carry the same keys (compared in constant time). */
  #checkRepeat(r: SubscriberRecord, transactionId: Uint8Array, keys: KeyMaterial): void {
    const earlier = sameTransaction(r.candidate?.transactionId, transactionId)
      ? r.candidate
      : sameTransaction(r.activeTransactionId, transactionId)
        ? r.active
        : null;
    if (earlier === null) return;
    const stored = this.deps.vault.open(r.imsi, earlier);
    const same =
      stored.algorithm === keys.algorithm &&
      constantTimeEqual(stored.k, keys.k) &&
      constantTimeEqual(stored.opc, keys.opc);
    wipe(stored.k, stored.opc);
    if (!same) throw new ConflictError(`transaction ${toHex(transactionId)} was staged with other keys`);
  }

  /** DESIGN.md 6 step 2 (idempotent). */
  async commitCandidate(imsi: string, transactionId: Uint8Array, actor: string): Promise<SubscriberView> {
    checkImsi(imsi);
    checkTransactionId(transactionId);
    const who = this.#actor(actor);
    const r = await this.deps.store.mutate(imsi, (current) => commit(current, transactionId, who));
    this.deps.logger.info(
      { imsi, transactionId: toHex(transactionId), actor, keyVersion: r.active?.version },
      'candidate committed',
    );
    return viewOf(r);
  }

  async abortCandidate(imsi: string, transactionId: Uint8Array, actor: string): Promise<SubscriberView> {
    checkImsi(imsi);
    checkTransactionId(transactionId);
    const who = this.#actor(actor);
    const r = await this.deps.store.mutate(imsi, (current) => abort(current, transactionId, who));
    this.deps.logger.info({ imsi, transactionId: toHex(transactionId), actor }, 'candidate aborted');
    return viewOf(r);
  }

  /**
   * TS 29.503 result confirmation, extended with the failure cause (DESIGN.md 6 step 3): judged against the key
   * version that computed the vector with this RAND, taken in the same transaction (one outcome per vector).
   */
  async reportAuthOutcome(imsi: string, outcome: AuthOutcome, actor: string): Promise<SubscriberView> {
    checkImsi(imsi);
    const who = this.#actor(actor);
    const vector = { rand: outcome.rand, notBefore: vectorsNotBefore(who.at) };
    const r = await this.deps.store.mutate(
      imsi,
      (current, version) => authOutcome(current, outcome, version, who),
      vector,
    );
    return viewOf(r);
  }

  async audit(imsi: string): Promise<AuditEvent[]> {
    checkImsi(imsi);
    const events = await this.deps.store.audit(imsi);
    if (events.length === 0 && (await this.deps.store.get(imsi)) === undefined)
      throw new UnknownSubscriberError(imsi);
    return events;
  }
}

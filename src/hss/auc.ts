// The AuC (TS 33.102 6.3): draws RAND, stores the next SQN and the vector's key version BEFORE computing the
// vector, handles resynchronisation from AUTS (6.3.5). Storage, key custody and computation stay apart.
import { resolveAuts, SQN_LENGTH, type AkaFunctions } from '../aka/index.js';
import { equalBytes } from '../bytes/index.js';
import type { RandomSource } from '../crypto/index.js';
import { BoundedCache, type Clock, type Logger } from '../ports/index.js';
import {
  akaFunctions,
  epsAkaVector,
  heAkaVector,
  withSeparationBit,
  type EpsAkaVector,
  type HeAkaVector,
} from './auc-vectors.js';
import {
  InvalidRequestError,
  NoCredentialsError,
  StoreFailureError,
  UnknownSubscriberError,
} from './errors.js';
import type { KeyVault } from './key-vault.js';
import type { SubscriberStore } from './store/store.js';
import { keySetByVersion, type StoredKeySet } from './subscriber.js';
import { vectorsNotBefore } from './vectors.js';

export const RAND_LENGTH = 16;

export interface ResynchronizationInfo {
  readonly rand: Uint8Array;
  readonly auts: Uint8Array;
}

export interface AucDeps {
  readonly store: SubscriberStore;
  readonly vault: KeyVault;
  readonly rng: RandomSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Opened key sets with their key schedules (default: a new cache of DEFAULT_AKA_FUNCTIONS_CACHE_SIZE). */
  readonly functionsCache?: AkaFunctionsCache;
}

/** An opened key set's functions, kept with the ciphertext they were opened from. */
export interface CachedAkaFunctions {
  readonly sealed: Uint8Array;
  readonly fns: AkaFunctions;
}

/** AuC function sets by `imsi/version`: one per process, sized by the subscribers served at once. */
export type AkaFunctionsCache = BoundedCache<string, CachedAkaFunctions>;

export const DEFAULT_AKA_FUNCTIONS_CACHE_SIZE = 10_000;

export function newAkaFunctionsCache(limit = DEFAULT_AKA_FUNCTIONS_CACHE_SIZE): AkaFunctionsCache {
  return new BoundedCache(limit);
}

export class Auc {
  readonly #cache: AkaFunctionsCache;

  constructor(private readonly deps: AucDeps) {
    this.#cache = deps.functionsCache ?? newAkaFunctionsCache();
  }

  /** TS 33.501 6.1.3.2: a 5G_HE_AKA vector for the serving network name. */
  async generateHeAka(
    imsi: string,
    servingNetworkName: string,
    resync?: ResynchronizationInfo,
  ): Promise<HeAkaVector> {
    const { rand, record, fns, amf } = await this.#prepare(imsi, resync);
    return heAkaVector(fns, rand, record.sqn, amf, servingNetworkName);
  }

  /** TS 33.401 6.1.1: an EPS AKA vector for the serving network (MCC, MNC). */
  async generateEpsAka(
    imsi: string,
    mcc: string,
    mnc: string,
    resync?: ResynchronizationInfo,
  ): Promise<EpsAkaVector> {
    const { rand, record, fns, amf } = await this.#prepare(imsi, resync);
    return epsAkaVector(fns, rand, record.sqn, amf, mcc, mnc);
  }

  async #prepare(imsi: string, resync: ResynchronizationInfo | undefined) {
    const resetTo = resync === undefined ? undefined : await this.#resynchronise(imsi, resync);
    const rand = this.deps.rng.randomBytes(RAND_LENGTH);
    // The SQN and the vector's key version are stored here, before anything is computed or returned.
    const issued = await this.deps.store.issueSqn(imsi, rand, this.deps.clock.now(), resetTo);
    if (issued === undefined) throw await this.#whyNoVector(imsi);
    const { record, keyVersion } = issued;
    const set = keySetByVersion(record, keyVersion);
    if (set === undefined) throw new StoreFailureError(`imsi-${imsi}: key version ${keyVersion} not stored`);
    const fns = this.#functions(imsi, set);
    this.deps.logger.debug({ imsi, keyVersion: set.version, sqn: record.sqn.toString() }, 'vector issued');
    return { rand, record, fns, amf: withSeparationBit(record.amf) };
  }

  async #whyNoVector(imsi: string): Promise<Error> {
    const r = await this.deps.store.get(imsi);
    return r === undefined
      ? new UnknownSubscriberError(imsi)
      : new NoCredentialsError(`imsi-${imsi} has no active keys`);
  }

  /**
   * TS 33.102 6.3.5: recover SQN_MS from AUTS with the keys that made the challenge; if MAC-S verifies, SQN_HE is
   * reset to SQN_MS (the next vector uses next(SQN_MS)); if not, the HE just sends a fresh vector.
   */
  async #resynchronise(imsi: string, resync: ResynchronizationInfo): Promise<bigint | undefined> {
    const record = await this.deps.store.get(imsi);
    if (record === undefined) throw new UnknownSubscriberError(imsi);
    // DESIGN.md 6 step 3: MAC-S is checked with the keys that made the challenge, taken once (a replayed AUTS
    // finds no vector); keys since destroyed or a challenge never issued here resynchronise nothing.
    const version = await this.deps.store.takeVector(imsi, {
      rand: resync.rand,
      notBefore: vectorsNotBefore(this.deps.clock.now()),
    });
    const challengeKeys = keySetByVersion(record, version);
    if (challengeKeys === undefined) {
      this.deps.logger.warn(
        { imsi },
        'AUTS for a challenge this HSS does not know (or no longer); not resynchronising',
      );
      if (record.active === null) throw new NoCredentialsError(`imsi-${imsi} has no active keys`);
      return undefined;
    }
    const fns = this.#functions(imsi, challengeKeys);
    // TS 33.102 6.3.3: AUTS = SQN_MS xor AK* || MAC-S
    if (resync.auts.length !== SQN_LENGTH + fns.macLength) {
      throw new InvalidRequestError(
        'resynchronizationInfo.auts',
        `expected ${SQN_LENGTH + fns.macLength} bytes`,
      );
    }
    const { sqnMs, macOk } = resolveAuts(fns, resync.rand, resync.auts);
    if (!macOk) {
      this.deps.logger.warn(
        { imsi },
        'AUTS MAC-S does not verify; sending a fresh vector without resynchronising',
      );
      return undefined;
    }
    await this.deps.store.appendAudit([
      {
        at: this.deps.clock.now(),
        imsi,
        event: 'resynchronised',
        keyVersion: challengeKeys.version,
        transactionId: null,
        actor: 'auc',
      },
    ]);
    return sqnMs;
  }

  // The opened key set with its key schedule, reused while the stored ciphertext is the same (a re-seal or a key
  // change gives another ciphertext). Bounded; the oldest entry goes first.
  #functions(imsi: string, set: StoredKeySet): AkaFunctions {
    const key = `${imsi}/${set.version}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined && equalBytes(hit.sealed, set.sealed)) return hit.fns;
    const km = this.deps.vault.open(imsi, set);
    const fns = akaFunctions(km);
    this.#cache.set(key, { sealed: set.sealed, fns });
    return fns;
  }
}

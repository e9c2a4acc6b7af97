// DESIGN.md 6: the HSS role on ltku's own HSS, over its typed HTTP client: the candidate is staged before BF70,
// committed after BF71 (the HSS destroys the old keys in the same transaction), aborted on a refusal.
import { AKA_ALGORITHMS } from '../aka/params/index.js';
import { HssClient, HssClientError, type SubscriberView } from '../hss/client/index.js';
import {
  HssRoleError,
  type CandidateView,
  type HssRole,
  type HssSubscriber,
  type KeyTransition,
} from './hss-role.js';

/** HTTP statuses of the HSS API that are findings about the request (TS 29.500 5.2.7.2). */
const STATUS_NOT_FOUND = 404;
const STATUS_CONFLICT = 409;

/** HssClientError 404/409 as the role's kinds; every other error passes unchanged (its message names the call). */
function roleError(e: unknown, imsi: string): unknown {
  if (!(e instanceof HssClientError)) return e;
  if (e.status === STATUS_NOT_FOUND)
    return new HssRoleError('unknown-subscriber', `the HSS does not know IMSI ${imsi}`);
  if (e.status === STATUS_CONFLICT) return new HssRoleError('conflict', `IMSI ${imsi}: ${e.message}`);
  return e;
}

/**
 * Issue 11: the batch lookup's failure as the role's 'failed' (HSS unreachable, 5xx, a refused token), which the
 * campaign feeder takes as "fed again later" rather than as its own stores failing (a whole round lost).
 */
function lookupFailed(e: unknown, count: number): unknown {
  if (!(e instanceof HssClientError)) return e;
  return new HssRoleError('failed', `the HSS lookup of ${count} subscribers failed: ${e.message}`);
}

/** What the server needs of the HSS's view of a subscriber. */
function subscriberOf(v: SubscriberView): HssSubscriber {
  return {
    imsi: v.imsi,
    algorithm: v.algorithm,
    activeVersion: v.activeVersion,
    ...(v.activeTransactionId === undefined ? {} : { activeTransactionId: v.activeTransactionId }),
    ...(v.candidate === undefined ? {} : { candidate: v.candidate }),
  };
}

export class LtkuHss implements HssRole {
  readonly name = 'ltku HSS';
  readonly hasCandidates = true;
  readonly algorithms = AKA_ALGORITHMS;
  readonly client: HssClient;

  constructor(client: HssClient) {
    this.client = client;
  }

  async subscriber(imsi: string): Promise<HssSubscriber> {
    try {
      return subscriberOf(await this.client.getSubscriber(imsi));
    } catch (e) {
      throw roleError(e, imsi);
    }
  }

  /** Issue 11 (batched job creation): HssClient.getSubscribers (1000 IMSIs a call); unknown ones are absent. */
  async subscribers(imsis: readonly string[]): Promise<Map<string, HssSubscriber>> {
    const found = new Map<string, HssSubscriber>();
    if (imsis.length === 0) return found;
    let views;
    try {
      views = await this.client.getSubscribers(imsis);
    } catch (e) {
      // An HSS older than the lookup route (it answers unknown IMSIs by leaving them out, never 404): one by one.
      if (!(e instanceof HssClientError && e.status === STATUS_NOT_FOUND))
        throw lookupFailed(e, imsis.length);
      for (const imsi of imsis) {
        try {
          found.set(imsi, await this.subscriber(imsi));
        } catch (e) {
          if (!(e instanceof HssRoleError && e.kind === 'unknown-subscriber'))
            throw lookupFailed(e, imsis.length);
        }
      }
      return found;
    }
    for (const v of views) found.set(v.imsi, subscriberOf(v));
    return found;
  }

  // DESIGN.md 6 step 1
  async stage(imsi: string, t: KeyTransition): Promise<void> {
    const { k, opc } = t.openKeys();
    try {
      await this.client.stageCandidate(imsi, {
        keyVersion: t.keyVersion,
        transactionId: t.transactionId,
        keys: { algorithm: t.algorithm, k, opc },
      });
    } catch (e) {
      throw roleError(e, imsi);
    } finally {
      k.fill(0);
      opc.fill(0);
    }
  }

  // DESIGN.md 6 step 2: the HSS holds the keys already; only the transaction id travels
  async commit(imsi: string, t: KeyTransition): Promise<void> {
    try {
      await this.client.commitCandidate(imsi, t.transactionId);
    } catch (e) {
      throw roleError(e, imsi);
    }
  }

  async abort(imsi: string, transactionId: Uint8Array): Promise<void> {
    try {
      await this.client.abortCandidate(imsi, transactionId);
    } catch (e) {
      throw roleError(e, imsi);
    }
  }

  async listCandidates(page: { limit: number; offset: number }): Promise<CandidateView[]> {
    return this.client.listSubscribers({ candidate: true, ...page });
  }

  ready(): Promise<void> {
    return this.client.ready();
  }
}

/** The callers that still hand over an HssClient get ltku's HSS role around it. */
export function hssRoleOf(hss: HssRole | HssClient): HssRole {
  return hss instanceof HssClient ? new LtkuHss(hss) : hss;
}

// The HSS side of the fleet's end-of-run check: over the HSS API (operator token: version and candidate), or, with
// the HSS's database and key-encryption key, also the keys themselves (compared inside the HSS, constant time).
import { HssClient, HssClientError } from '../../../../hss/client/index.js';
import { openHssRuntime, UnknownSubscriberError, type HssRuntime } from '../../../../hss/index.js';
import type { HssProfileCheck } from '../../../../fleet/index.js';

export interface HssCheck {
  profile(
    imsi: string,
    card: { k: Uint8Array; opc: Uint8Array; version: number },
  ): Promise<HssProfileCheck | undefined>;
  close(): Promise<void>;
}

export function hssCheckOverApi(url: string, token: string): HssCheck {
  const client = new HssClient(url, { token });
  return {
    async profile(imsi) {
      try {
        const s = await client.getSubscriber(imsi);
        return { activeVersion: s.activeVersion, candidateStaged: s.candidate !== undefined };
      } catch (e) {
        if (e instanceof HssClientError && e.status === 404) return undefined;
        throw e;
      }
    },
    close: async () => {},
  };
}

export async function hssCheckInDatabase(settings: {
  db: string;
  dataDir?: string;
  kekFile?: string;
  kekHex?: string;
}): Promise<HssCheck> {
  const runtime: HssRuntime = await openHssRuntime(settings);
  return {
    async profile(imsi, card) {
      try {
        const s = await runtime.hss.get(imsi);
        const algorithm = s.algorithm ?? 'milenage';
        const keysEqual = await runtime.hss.activeKeysEqual(
          imsi,
          { algorithm, k: card.k, opc: card.opc },
          card.version,
        );
        return {
          activeVersion: s.activeVersion,
          candidateStaged: s.candidate !== undefined,
          keysEqual: keysEqual === true,
        };
      } catch (e) {
        if (e instanceof UnknownSubscriberError) return undefined;
        throw e;
      }
    },
    close: () => runtime.close(),
  };
}

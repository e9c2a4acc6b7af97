// `ltku demo --hss osmo-hlr` (issue 12, DESIGN.md 8): a real osmo-hlr in the demo's directory as the HSS role. Its
// subscribers are created over CTRL from the personalisation file (as an operator would provision them), the
// core gets its vectors over GSUP, and the server writes the new keys over CTRL after the card's BF71.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constantTimeEqual } from '../../../../crypto/index.js';
import { GsupAuthSource, listenCore } from '../../../../core/index.js';
import { parsePersonalisationFile } from '../../../../hss/index.js';
import {
  CtrlClient,
  OsmoHlrSubscribers,
  endpointName,
  osmoHlrInstalled,
  startOsmoHlr,
  type OsmoHlr,
} from '../../../../osmo/index.js';
import { silentLogger } from '../../../../ports/index.js';
import { cryptoRandom } from '../../../../crypto/index.js';
import { OSMO_HLR_INSTALL_HINT } from '../../../osmo-hlr-endpoints.js';
import type { DemoCredentials } from './services.js';

export { osmoHlrInstalled, OSMO_HLR_INSTALL_HINT };

const systemClock = { now: () => new Date() };

export interface OsmoServices {
  readonly hlr: OsmoHlr;
  readonly coreUrl: string;
  /** osmo-hlr's K and OPc of `imsi` equal these (read back over CTRL, compared in constant time). */
  holds(imsi: string, keys: { k: Uint8Array; opc: Uint8Array }): Promise<boolean>;
  stopAll(): Promise<void>;
}

async function withCtrl<T>(hlr: OsmoHlr, fn: (s: OsmoHlrSubscribers) => Promise<T>): Promise<T> {
  const ctrl = await CtrlClient.connect(hlr.ctrl);
  try {
    return await fn(new OsmoHlrSubscribers(ctrl));
  } finally {
    await ctrl.close();
  }
}

/** Starts osmo-hlr in `<dir>/osmo-hlr` and provisions the file's subscribers (Milenage) over CTRL. */
export async function startOsmoHlrWithSubscribers(dir: string, subscribersFile: string): Promise<OsmoHlr> {
  const hlr = await startOsmoHlr({ dir: join(dir, 'osmo-hlr') });
  try {
    const { subscribers } = parsePersonalisationFile(readFileSync(subscribersFile, 'utf8'));
    await withCtrl(hlr, async (s) => {
      for (const sub of subscribers) {
        await s.create(sub.imsi);
        await s.setAud3g(sub.imsi, { algorithm: 'milenage', k: sub.keys.k, opc: sub.keys.opc });
      }
    });
    return hlr;
  } catch (e) {
    await hlr.stop().catch(() => undefined);
    throw e;
  }
}

/** The core in front of osmo-hlr (GSUP). */
export async function startOsmoCore(hlr: OsmoHlr, credentials: DemoCredentials): Promise<OsmoServices> {
  const source = new GsupAuthSource({ gsup: hlr.gsup, clock: systemClock, logger: silentLogger });
  const core = await listenCore({
    hss: source,
    authenticator: credentials.authenticator,
    clock: systemClock,
    rng: cryptoRandom,
    logger: silentLogger,
    keepAliveMs: 0,
  });
  return {
    hlr,
    coreUrl: core.url,
    holds: (imsi, keys) =>
      withCtrl(hlr, async (s) => {
        const back = await s.readAud3g(imsi);
        const same =
          back?.opc !== undefined &&
          constantTimeEqual(back.k, keys.k) &&
          constantTimeEqual(back.opc, keys.opc);
        back?.k.fill(0);
        back?.opc?.fill(0);
        return same;
      }),
    // osmo-hlr itself is stopped by whoever started it
    stopAll: async () => {
      await core.close().catch(() => undefined);
      await source.close().catch(() => undefined);
    },
  };
}

/** For the narration: where osmo-hlr listens. */
export function describeOsmoHlr(hlr: OsmoHlr): string {
  return `osmo-hlr GSUP ${endpointName(hlr.gsup)}, CTRL ${endpointName(hlr.ctrl)} (its own database in ${hlr.dir})`;
}

// Issue 12: SendAuthInfo through ltku's GSUP client against a real osmo-hlr, next to ltku's own HSS
// generate-auth-data over HTTP in the same run, as a ratio. Both HSSs keep their SQN in SQLite and answer one
// vector per request; osmo-hlr runs as its own process, ltku's HSS in this process with the HTTP load in a worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CtrlClient,
  GsupClient,
  OsmoHlrSubscribers,
  osmoHlrInstalled,
  startOsmoHlr,
} from '../src/osmo/index.js';
import { formatRate, type BenchSuite } from './harness.js';
import { hssHttpRate } from './hss.bench.js';

const SUBSCRIBERS = 100;
/** Requests in flight on the one GSUP connection (as the HTTP load keeps 16 connections busy). */
const IN_FLIGHT = 16;
const WARMUP_MS = 500;
const SECONDS = 3;

/** SendAuthInfo answers per second with IN_FLIGHT requests outstanding, round robin over the IMSIs. */
async function sendAuthInfoRate(
  gsup: GsupClient,
  imsis: readonly string[],
): Promise<{ ok: number; ms: number }> {
  let n = 0;
  let ok = 0;
  let counting = false;
  let stop = false;
  const lane = async () => {
    while (!stop) {
      await gsup.sendAuthInfo(imsis[n++ % imsis.length] as string, { numVectors: 1 });
      if (counting) ok++;
    }
  };
  const lanes = Array.from({ length: IN_FLIGHT }, lane);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  const ms = performance.now() - t0;
  stop = true;
  await Promise.all(lanes);
  return { ok, ms };
}

export const suite: BenchSuite = {
  title: 'osmo-hlr (osmo/): SendAuthInfo over GSUP vs ltku HSS generate-auth-data over HTTP',
  async run(print) {
    if (!osmoHlrInstalled()) {
      print('osmo-hlr is not installed (apt-get install osmo-hlr): skipped');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ltku-gsup-bench-'));
    const hlr = await startOsmoHlr({ dir });
    try {
      const ctrl = await CtrlClient.connect(hlr.ctrl);
      const subscribers = new OsmoHlrSubscribers(ctrl);
      const imsis = Array.from({ length: SUBSCRIBERS }, (_, i) => `00101${String(i).padStart(10, '0')}`);
      for (const imsi of imsis) {
        await subscribers.create(imsi);
        await subscribers.setAud3g(imsi, { algorithm: 'milenage', k: randomBytes(16), opc: randomBytes(16) });
      }
      await ctrl.close();
      const gsup = await GsupClient.connect(hlr.gsup, { unitName: 'ltku-bench' });
      let osmo;
      try {
        osmo = await sendAuthInfoRate(gsup, imsis);
      } finally {
        await gsup.close();
      }
      const osmoRate = (osmo.ok * 1000) / osmo.ms;
      print(
        formatRate({
          name: 'SendAuthInfo over GSUP, osmo-hlr 1.5 (SQLite)',
          opsPerSecond: osmoRate,
          iterations: osmo.ok,
        }),
      );
      const ltku = await hssHttpRate(join(dir, 'hss.sqlite'), dir);
      print(
        formatRate({
          name: 'generate-auth-data over HTTP, ltku HSS (SQLite)',
          opsPerSecond: ltku.opsPerSecond,
          iterations: ltku.ok,
        }),
      );
      print(
        `  ratio osmo-hlr / ltku HSS: ${(osmoRate / ltku.opsPerSecond).toFixed(2)} (${SUBSCRIBERS} Milenage subscribers each, one vector per request, ${IN_FLIGHT} in flight)`,
      );
    } finally {
      await hlr.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

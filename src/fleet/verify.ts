// The end-of-run check of a fleet (issue 11): every profile rotated exactly once (its key version one above the
// personalised one, exactly one job for it at the server and that job completed), the HSS's active keys equal
// the card's (same version, no candidate left staged, the same K and OPc where the HSS can compare them), and
// the attach after the update succeeded.
import type { FleetRunResult, FleetSource } from './runner.js';

/** The HSS's view of a subscriber for the check; `keysEqual` compares the card's keys in the HSS (absent: not asked). */
export interface HssProfileCheck {
  readonly activeVersion: number | null;
  readonly candidateStaged: boolean;
  readonly keysEqual?: boolean;
}

export interface FleetVerifyPorts {
  hssProfile(
    imsi: string,
    card: { readonly k: Uint8Array; readonly opc: Uint8Array; readonly version: number },
  ): Promise<HssProfileCheck | undefined>;
  /** Every job of the fleet's profiles at the server, by ICCID, with its state. */
  serverJobs(): Promise<Map<string, string[]>>;
}

export interface FleetProblem {
  readonly card: number;
  readonly iccid?: string;
  readonly problem: string;
}

export interface FleetVerification {
  readonly profiles: number;
  /** Whether the HSS compared every profile's keys (else versions only; a successful attach proves the keys). */
  readonly keysCompared: boolean;
  readonly problems: readonly FleetProblem[];
}

export async function verifyFleet(
  source: FleetSource,
  run: FleetRunResult,
  ports: FleetVerifyPorts,
): Promise<FleetVerification> {
  const problems: FleetProblem[] = [];
  const jobs = await ports.serverJobs();
  let profiles = 0;
  let keysCompared = true;
  for (const r of run.cards) {
    if (r.outcome !== 'rotated') problems.push({ card: r.card, problem: `not rotated: ${r.reason ?? ''}` });
    const { image } = await source.open(r.card);
    for (const p of image.profiles) {
      profiles++;
      const say = (problem: string) => problems.push({ card: r.card, iccid: p.iccid, problem });
      const ran = r.profiles.find((x) => x.iccid === p.iccid);
      const before = ran?.fromVersion;
      if (before === undefined) say('profile missing from the run');
      else if (p.keyVersion !== before + 1)
        say(`card key version ${p.keyVersion}, expected ${before + 1} (rotated exactly once)`);
      const states = jobs.get(p.iccid) ?? [];
      if (states.length !== 1 || states[0] !== 'completed')
        say(`server jobs ${JSON.stringify(states)}, expected exactly one completed`);
      const hss = await ports.hssProfile(p.imsi, { k: p.keys.k, opc: p.keys.opc, version: p.keyVersion });
      if (hss === undefined) say('unknown at the HSS');
      else {
        if (hss.activeVersion !== p.keyVersion)
          say(`HSS active version ${hss.activeVersion}, card ${p.keyVersion}`);
        if (hss.candidateStaged) say('HSS still has a candidate staged');
        if (hss.keysEqual === undefined) keysCompared = false;
        if (hss.keysEqual === false) say('HSS active keys differ from the card keys');
      }
      if (ran?.attach !== undefined && ran.attach !== 'attached')
        say(`attach after the update ${ran.attach}${ran.attachReason ? `: ${ran.attachReason}` : ''}`);
    }
  }
  return { profiles, keysCompared, problems };
}

// Issue 11: a campaign report written as its pages come: the summary counted page by page, each write waiting
// for the output to drain (a slow pipe holds the reading back, not the memory).
import { once } from 'node:events';
import type { CampaignJson, MemberJson } from './render.js';

/** Writes `text`, resolving once the stream takes more (its 'drain' when the buffer was full). */
export async function writeOut(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out as NodeJS.EventEmitter, 'drain');
}

/** The report's summary: members by final state, and the failures by reason, counted as the pages come. */
export class ReportSummary {
  #total = 0;
  readonly #byState: Record<string, number> = {};
  readonly #byReason: Record<string, number> = {};

  add(members: readonly MemberJson[]): void {
    for (const m of members) {
      this.#total++;
      this.#byState[m.state] = (this.#byState[m.state] ?? 0) + 1;
      if (m.reason !== undefined) this.#byReason[m.reason] = (this.#byReason[m.reason] ?? 0) + 1;
    }
  }

  of(campaign: Pick<CampaignJson, 'id' | 'state'>) {
    return {
      campaign: campaign.id,
      state: campaign.state,
      total: this.#total,
      byState: { ...this.#byState },
      byReason: { ...this.#byReason },
    };
  }

  /** One line for a terminal (the CSV's stderr). */
  line(campaign: Pick<CampaignJson, 'state'>): string {
    const list = (r: Record<string, number>) =>
      Object.entries(r)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    const reasons = Object.keys(this.#byReason).length === 0 ? '' : `; reasons: ${list(this.#byReason)}`;
    return `${this.#total} subscribers, campaign ${campaign.state}: ${list(this.#byState)}${reasons}`;
  }
}

// Issue 11: what an operator sees of a campaign (counts by state, rate, ETA) and of its members (the report).
import {
  FINAL_MEMBER_STATES,
  formatWindow,
  type CampaignRecord,
  type MemberCounts,
  type MemberRecord,
} from './campaign.js';

export function campaignStatus(c: CampaignRecord, counts: MemberCounts, now: Date) {
  const activeMs =
    c.activeMs + (c.activeSince === undefined ? 0 : Math.max(0, now.getTime() - Date.parse(c.activeSince)));
  const done = FINAL_MEMBER_STATES.reduce((n, s) => n + counts[s], 0);
  const seconds = activeMs / 1000;
  // Members that reached their final state per second of running (pauses excluded).
  const rate = seconds > 0 ? done / seconds : 0;
  const remaining = c.total - done;
  const { window, ...options } = c.options;
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    selection: c.selection,
    options: { ...options, ...(window === undefined ? {} : { window: formatWindow(window) }) },
    total: c.total,
    ...(c.upload === undefined || c.state !== 'draft'
      ? {}
      : {
          upload: {
            chunks: c.upload.chunks,
            lines: c.upload.lines,
            duplicates: c.upload.duplicates,
            problems: c.upload.problemCount,
            ...(c.upload.discarded === true ? { discarded: true } : {}),
          },
        }),
    counts,
    done,
    rate: Math.round(rate * 1000) / 1000,
    ...(c.state === 'running' && rate > 0 && remaining > 0
      ? { etaSeconds: Math.ceil(remaining / rate) }
      : {}),
    activeSeconds: Math.round(seconds),
    createdBy: c.createdBy,
    createdAt: c.createdAt,
    ...(c.startedAt === undefined ? {} : { startedAt: c.startedAt }),
    ...(c.finishedAt === undefined ? {} : { finishedAt: c.finishedAt }),
    history: c.history,
  };
}

export type CampaignStatus = ReturnType<typeof campaignStatus>;

export function memberView(m: MemberRecord) {
  return {
    seq: m.seq,
    iccid: m.iccid,
    imsi: m.imsi,
    state: m.state,
    ...(m.keyVersion === undefined ? {} : { keyVersion: m.keyVersion }),
    attempts: m.attempts,
    ...(m.reason === undefined ? {} : { reason: m.reason }),
    ...(m.detail === undefined ? {} : { detail: m.detail }),
    ...(m.jobId === undefined ? {} : { jobId: m.jobId }),
  };
}

export type MemberView = ReturnType<typeof memberView>;

/** A page of the report; `next` is the `after` of the next page (absent on the last). */
export function memberReport(members: readonly MemberRecord[], limit = members.length) {
  const last = members[members.length - 1];
  return {
    members: members.map(memberView),
    ...(last !== undefined && members.length >= limit ? { next: last.seq } : {}),
  };
}

export type MemberReport = ReturnType<typeof memberReport>;

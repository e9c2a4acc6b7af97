// The fleet's operator calls at the Provisioning Server's admin API: one key-update job per profile (in batches),
// a job's state, and every job for the end-of-run check.
import type { JobView } from '../../../../server/index.js';
import { adminRequest, type AdminTarget } from '../../server/support/admin-client.js';

/** Profiles per POST /admin/v1/jobs/batch. */
const ORDER_BATCH = 500;
/** The admin API's largest page of GET /admin/v1/jobs. */
const PAGE = 1000;

export interface Ordered {
  /** Job id by ICCID. */
  readonly jobs: Map<string, string>;
  readonly refused: { iccid?: string; detail: string }[];
}

export async function orderJobs(admin: AdminTarget, iccids: readonly string[]): Promise<Ordered> {
  const jobs = new Map<string, string>();
  const refused: Ordered['refused'] = [];
  for (let at = 0; at < iccids.length; at += ORDER_BATCH) {
    const r = (await adminRequest(admin, 'POST', '/admin/v1/jobs/batch', {
      iccids: iccids.slice(at, at + ORDER_BATCH),
    }).catch((e: Error) => ({ jobs: [], refused: [{ detail: e.message }] }))) as {
      jobs: JobView[];
      refused: { iccid?: string; detail: string }[];
    };
    for (const j of r.jobs) jobs.set(j.iccid, j.id);
    refused.push(...r.refused);
  }
  return { jobs, refused };
}

export async function jobState(admin: AdminTarget, id: string): Promise<string | undefined> {
  const j = (await adminRequest(admin, 'GET', `/admin/v1/jobs/${id}`)) as JobView;
  return j.state;
}

/** Every job the server holds, by ICCID, with their states (oldest first). */
export async function allJobs(admin: AdminTarget): Promise<Map<string, string[]>> {
  const byIccid = new Map<string, string[]>();
  for (let offset = 0; ; offset += PAGE) {
    const { jobs } = (await adminRequest(admin, 'GET', `/admin/v1/jobs?limit=${PAGE}&offset=${offset}`)) as {
      jobs: JobView[];
    };
    for (const j of jobs) byIccid.set(j.iccid, [...(byIccid.get(j.iccid) ?? []), j.state]);
    if (jobs.length < PAGE) return byIccid;
  }
}

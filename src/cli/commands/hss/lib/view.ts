// How the hss commands show a subscriber: the API's JSON view (no keys), or a table.
import { viewJson, type SubscriberView } from '../../../../hss/index.js';
import { printTable } from '../../../output.js';

export const viewForCli = viewJson;

export function printView(out: NodeJS.WritableStream, v: SubscriberView): void {
  const j = viewJson(v);
  printTable(out, [
    ['imsi', j.imsi],
    ['iccid', j.iccid ?? '-'],
    ['algorithm', j.algorithm ?? '-'],
    ['active version', String(j.activeVersion ?? '-')],
    [
      'candidate',
      j.candidate ? `version ${j.candidate.version}, transaction ${j.candidate.transactionId}` : '-',
    ],
    ['amf', j.amf],
    ['sqn', String(j.sqn)],
    ['updated', j.updatedAt],
  ]);
}

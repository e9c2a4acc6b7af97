// An HSS role that answers at once (issue 11 benches of the server's own bookkeeping: the campaign and selection
// benches measure the server and its database, not an HSS).
import type { HssRole } from '../src/server/index.js';

export const instantHss: HssRole = {
  name: 'bench HSS',
  hasCandidates: true,
  subscriber: async (imsi) => ({ imsi, algorithm: 'milenage', activeVersion: 1 }),
  stage: async () => {},
  commit: async () => {},
  abort: async () => {},
  listCandidates: async () => [],
  ready: async () => {},
};

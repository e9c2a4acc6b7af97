// An HSS role that answers at once, knowing every IMSI at version 1 (issue 11: the campaign and selection benches
// and the feeder's recovery tests are about the server and its database, not an HSS).
import type { HssRole } from '../../src/server/index.js';

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

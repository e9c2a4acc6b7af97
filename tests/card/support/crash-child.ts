// Child process of persistence.test.ts: applies one key update to the card image at argv[2] and kills itself
// (SIGKILL, no cleanup) when the atomic write reaches write point number argv[3] (-1: never).
import { SeededRandom } from '../../../src/crypto/index.js';
import { FixedClock } from '../../../src/ports/index.js';
import { GetResponseChannel } from '../../../src/iso7816/index.js';
import { FileCardStore, VirtualCard, WRITE_POINTS, loadCardImage } from '../../../src/card/index.js';
import { NOW, newKeys, openSession, readDigest, request, setup, storeData } from './fixture.js';

const [path, pointText] = process.argv.slice(2);
const crashAt = Number(pointText);
const s = setup('crash');
const store = new FileCardStore(path, (point) => {
  if (WRITE_POINTS.indexOf(point) === crashAt) process.kill(process.pid, 'SIGKILL');
});
s.card = new VirtualCard(loadCardImage(path), { store, clock: new FixedClock(NOW), rng: s.rng });
s.channel = new GetResponseChannel(s.card);
const scp = await openSession(s);
const digest = await readDigest(scp);
const r = await storeData(
  scp,
  request(scp, s.image.profiles[0].iccid, newKeys(new SeededRandom('new-keys')), { digest }),
);
process.exit(r.sw === 0x9000 ? 0 : 3);

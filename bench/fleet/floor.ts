// The crypto floor of the server's share of one key update (issue 11), measured with node:crypto in the bench's
// own run: one ephemeral key generation, two ECDHs (ephemeral and static, GPC Amd F 3.1.2) and one ECDSA
// certificate signature check (CERT.SD.ECKA), on P-256. Its inverse is the most key updates one core can do.
import { createECDH, createSign, createVerify, generateKeyPairSync } from 'node:crypto';

const CURVE = 'prime256v1';

export interface CryptoFloor {
  /**
   * Server-share key updates per second per core, crypto alone, by CPU time: the server is measured in CPU time
   * too, so other load on the machine (it is shared with the fleet, the HSS and PostgreSQL) inflates neither.
   */
  readonly updatesPerSecond: number;
  /** CPU microseconds per operation. */
  readonly microseconds: { keygen: number; ecdh: number; verify: number };
}

/** CPU microseconds (user + system) of this process per call of `fn`. */
function timePer(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

export function measureCryptoFloor(iterations = 2000): CryptoFloor {
  const peer = createECDH(CURVE);
  peer.generateKeys();
  const peerPublic = peer.getPublicKey();
  const own = createECDH(CURVE);
  own.generateKeys();
  const keygen = timePer(() => createECDH(CURVE).generateKeys(), iterations);
  const ecdh = timePer(() => own.computeSecret(peerPublic), iterations);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVE });
  const tbs = Buffer.alloc(180, 7);
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const verify = timePer(() => {
    if (!createVerify('sha256').update(tbs).verify(publicKey, signature))
      throw new Error('floor: bad signature');
  }, iterations);
  return { updatesPerSecond: 1e6 / (keygen + 2 * ecdh + verify), microseconds: { keygen, ecdh, verify } };
}

// Every session of tests/vectors/scp11-card.json on the card side: with the card's keys and ephemeral key
// fixed from the file, the security domain engine answers each recorded command with the recorded response,
// byte for byte, and unwraps / wraps the first secure-messaging exchange exactly as recorded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, decodeTlvs, tlv, toHex } from '../../src/bytes/index.js';
import { FixedRandom, curveByName, decodePoint, ecdh, importPrivateKey } from '../../src/crypto/index.js';
import { Scp11SecurityDomain, TAG_CERT_STORE, TAG_EPK, variantOfKid } from '../../src/gp/index.js';
import { decodeCommand, decodeResponse, encodeResponse, type ResponseApdu } from '../../src/iso7816/index.js';
import { decodeCertificate, trustAnchor } from '../../src/pki/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { loadVectors } from '../helpers/vectors.js';
import {
  aesKeyLengthOf,
  hex,
  scalar,
  sdKeyRef,
  type Scp11Vector,
  type Scp11VectorFile,
} from './helpers/vector-types.js';

const respHex = (r: ResponseApdu): string => toHex(encodeResponse(r)).toUpperCase();

function run(v: Scp11Vector): void {
  const curve = curveByName(v.curve);
  const { kid, kvn } = sdKeyRef(v);
  assert.equal(kid, hex(v.SD_KID!)[0]);
  assert.equal(kvn, hex(v.SD_KVN!)[0]);
  const variant = variantOfKid(kid)!;
  assert.equal(`SCP11${variant}`, v.variant);
  const skSd = importPrivateKey(hex(v.SK_SD_pkcs8!));
  const cardSide = v.derived_card_side!;
  assert.equal(toHex(skSd.privateKey), toHex(scalar(cardSide.sk_sd_d, curve.fieldSize)), 'SK.SD');
  // SCP11c has no eSK.SD: the card answers with its static key.
  const eskSd = v.eSK_SD_pkcs8 ? importPrivateKey(hex(v.eSK_SD_pkcs8)) : undefined;
  const rng = eskSd ? new FixedRandom(eskSd.privateKey) : new FixedRandom();
  const caCurve = curveByName(v.CA_curve ?? v.curve);
  const caKloc = v.PK_CA_KLOC
    ? [trustAnchor(caCurve, hex(v.PK_CA_KLOC), { kvn: hex(v.OCE_KVN!)[0], name: 'CA-KLOC' })]
    : [];
  const chain = v.CERT_SD_chain!.map((c) => hex(c));
  const sd = new Scp11SecurityDomain({
    keySets: [{ kid, kvn, keyPair: skSd, certificates: chain }],
    caKloc,
    clock: new FixedClock(new Date(`${v.check_date}T00:00:00Z`)),
    rng,
    minAesKeyLength: 16,
    macLength: v.mac_len as 8 | 16,
  });

  // What GET DATA BF21 returns (the virtual card's job): BF21{chain}, leaf last, carrying PK.SD and the EID.
  const store = concatBytes(...v.GET_DATA_rapdus.map((r) => decodeResponse(hex(r)).data));
  assert.equal(toHex(store), toHex(tlv(TAG_CERT_STORE, ...chain)), 'GET DATA BF21 content');
  const leaf = decodeCertificate(chain[chain.length - 1]);
  assert.equal(toHex(leaf.publicKey), toHex(skSd.publicKey), 'CERT.SD.ECKA carries PK.SD.ECKA');
  if (v.EID) assert.equal(leaf.eid, v.EID, 'EID in CERT.SD.ECKA');

  for (const capdu of v.PSO_capdus) {
    assert.equal(
      respHex(sd.performSecurityOperation(decodeCommand(hex(capdu)))),
      v.PSO_rapdu.toUpperCase(),
      'PSO',
    );
  }
  assert.equal(
    respHex(sd.authenticate(decodeCommand(hex(v.MA_capdu)))),
    v.MA_rapdu.toUpperCase(),
    'authenticate',
  );
  assert.equal(rng.remaining, 0, 'the card drew exactly eSK.SD');
  const session = sd.session;
  assert.ok(session !== undefined, 'session open');

  // card-side intermediates
  // GPC Amd F 7.6.2: A6 control reference, then 5F49 ePK.OCE.ECKA (SCP11b: the only OCE key)
  const epkOceTlv = decodeTlvs(decodeCommand(hex(v.MA_capdu)).data).find((t) => t.tag === TAG_EPK);
  assert.ok(epkOceTlv !== undefined, 'the authenticate command carries 5F49');
  const epkOce = decodePoint(curve, epkOceTlv.value);
  const shSe = ecdh(curve, (eskSd ?? skSd).privateKey, epkOce);
  assert.equal(toHex(shSe), cardSide.shse.toLowerCase(), 'ShSe (card side)');
  if (eskSd)
    assert.equal(toHex(eskSd.privateKey), toHex(scalar(cardSide.esk_sd_d, curve.fieldSize)), 'eSK.SD');
  const d = v.derived_verified_here;
  assert.equal(toHex(session.sessionKeys.sEnc), d.s_enc.toLowerCase(), 'S-ENC');
  assert.equal(toHex(session.sessionKeys.sMac), d.s_mac.toLowerCase(), 'S-MAC');
  assert.equal(toHex(session.sessionKeys.sRmac), d.s_rmac.toLowerCase(), 'S-RMAC');
  assert.equal(toHex(session.sessionKeys.sDek), d.s_dek.toLowerCase(), 'S-DEK');
  assert.equal(session.sessionKeys.sEnc.length, aesKeyLengthOf(v));

  const plain = session.unwrapCommand(decodeCommand(hex(v.GETSTATUS_capdu)));
  const expected = decodeCommand(hex(v.GETSTATUS_plain_capdu));
  assert.deepEqual(
    [plain.cla, plain.ins, plain.p1, plain.p2, toHex(plain.data)],
    [expected.cla, expected.ins, expected.p1, expected.p2, toHex(expected.data)],
    'unwrapped GET STATUS',
  );
  const wrapped = session.wrapResponse(decodeResponse(hex(v.GETSTATUS_plain_rapdu!)));
  assert.equal(respHex(wrapped), v.GETSTATUS_rapdu.toUpperCase(), 'wrapped GET STATUS response');
}

const vectors = loadVectors<Scp11VectorFile>('scp11-card').vectors;
describe('card side reproduces every session of scp11-card.json', () => {
  it('has entries', () => assert.ok(vectors.length > 0));
  for (const v of vectors) it(v.name, () => run(v));
});

// Every recorded SCP11 session of tests/vectors/scp11.json (and the OCE side of scp11-card.json), replayed
// byte for byte on the OCE side: the fixed eSK.OCE comes in through the RandomSource, the card's responses
// from the recording, and every C-APDU must equal the recorded one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, decodeTlvs, toHex } from '../../src/bytes/index.js';
import {
  FixedRandom,
  aesCmac,
  curveByName,
  decodePoint,
  ecdh,
  importPrivateKey,
} from '../../src/crypto/index.js';
import {
  TAG_EPK,
  certificateStoreQuery,
  openScp11,
  variantOfKid,
  type Scp11OceParams,
} from '../../src/gp/index.js';
import {
  GetResponseChannel,
  decodeCommand,
  decodeResponse,
  encodeCommand,
  transmitOk,
} from '../../src/iso7816/index.js';
import { decodeCertificates } from '../../src/pki/index.js';
import { loadVectors } from '../helpers/vectors.js';
import { ScriptedChannel, type Exchange } from './helpers/scripted-channel.js';
import {
  aesKeyLengthOf,
  hex,
  scalar,
  sdKeyRef,
  type Scp11Vector,
  type Scp11VectorFile,
} from './helpers/vector-types.js';

function script(v: Scp11Vector): Exchange[] {
  const out: Exchange[] = [{ label: 'GET DATA BF21', capdu: v.GET_DATA_capdu, rapdu: v.GET_DATA_rapdus[0] }];
  for (const [i, rapdu] of v.GET_DATA_rapdus.slice(1).entries()) {
    out.push({ label: `GET RESPONSE ${i + 1}`, capdu: v.GET_RESPONSE_capdu, rapdu });
  }
  for (const [i, capdu] of v.PSO_capdus.entries())
    out.push({ label: `PSO ${i + 1}`, capdu, rapdu: v.PSO_rapdu });
  out.push({ label: 'MUTUAL/INTERNAL AUTHENTICATE', capdu: v.MA_capdu, rapdu: v.MA_rapdu });
  out.push({ label: 'GET STATUS (wrapped)', capdu: v.GETSTATUS_capdu, rapdu: v.GETSTATUS_rapdu });
  return out;
}

async function replay(v: Scp11Vector): Promise<void> {
  const curve = curveByName(v.curve);
  const { kid, kvn } = sdKeyRef(v);
  const variant = variantOfKid(kid);
  assert.ok(variant !== undefined, `${v.name}: KID ${kid} is not an SCP11 KID`);
  const d = v.derived_verified_here;
  const card = new ScriptedChannel(script(v));
  // The recordings send GET RESPONSE without Le (00 C0 00 00).
  const channel = new GetResponseChannel(card, {
    le: v.GET_RESPONSE_capdu.length === 8 ? 'absent' : 'available',
  });

  // GPC Amd F 7.4.3: the card's certificate chain, then PK.SD.ECKA from its leaf
  assert.equal(
    toHex(encodeCommand(certificateStoreQuery(kid, kvn))).toUpperCase(),
    v.GET_DATA_capdu.toUpperCase(),
  );
  const store = await transmitOk(channel, certificateStoreQuery(kid, kvn), 'GET DATA BF21');
  const chain = decodeCertificates(store);
  const pkSdEcka = chain[chain.length - 1].publicKey;
  assert.equal(toHex(pkSdEcka), d.pk_sd.toLowerCase(), 'PK.SD.ECKA');

  const eskOce = importPrivateKey(hex(v.eSK_OCE_pkcs8));
  assert.equal(toHex(eskOce.privateKey), toHex(scalar(d.esk_oce_d, curve.fieldSize)), 'eSK.OCE');
  const skOce = importPrivateKey(hex(v.SK_OCE_pkcs8));
  const oceKvn = v.OCE_KVN ? hex(v.OCE_KVN)[0] : kvn; // scp11.json: the recordings used KVN 03 for CA-KLOC too
  const params: Scp11OceParams = {
    variant,
    kvn,
    kid,
    curve,
    aesKeyLength: aesKeyLengthOf(v),
    macLength: v.mac_len as 8 | 16,
    pkSdEcka,
    ...(variant === 'b'
      ? {}
      : {
          skOceEcka: skOce,
          oceCertificates: (v.CERT_OCE_chain ?? [v.CERT_OCE]).map((c) => hex(c)),
          caKlocReference: { kid: hex(v.OCE_KID)[0], kvn: oceKvn },
        }),
  };
  const rng = new FixedRandom(eskOce.privateKey);
  const scp = await openScp11(channel, params, rng);
  assert.equal(rng.remaining, 0, 'the handshake drew exactly eSK.OCE');

  // derived intermediates
  // GPC Amd F 7.6.3: 5F49 ePK.SD.ECKA 86 receipt, then SW (a long-form length on P-521 and 512-bit curves)
  const maResponse = decodeResponse(hex(v.MA_rapdu));
  const epkSdTlv = decodeTlvs(maResponse.data).find((t) => t.tag === TAG_EPK);
  assert.ok(epkSdTlv !== undefined, 'the authenticate response carries 5F49');
  const epkSd = decodePoint(curve, epkSdTlv.value);
  assert.equal(toHex(ecdh(curve, eskOce.privateKey, epkSd)), d.shse.toLowerCase(), 'ShSe');
  const staticOce = variant === 'b' ? eskOce : skOce;
  assert.equal(toHex(staticOce.privateKey), toHex(scalar(d.sk_oce_d, curve.fieldSize)), 'SK.OCE');
  assert.equal(toHex(ecdh(curve, staticOce.privateKey, pkSdEcka)), d.shss.toLowerCase(), 'ShSs');
  const keys = scp.sessionKeys;
  assert.equal(toHex(keys.receiptKey), d.receipt_key.toLowerCase(), 'receipt key');
  assert.equal(toHex(keys.sEnc), d.s_enc.toLowerCase(), 'S-ENC');
  assert.equal(toHex(keys.sMac), d.s_mac.toLowerCase(), 'S-MAC');
  assert.equal(toHex(keys.sRmac), d.s_rmac.toLowerCase(), 'S-RMAC');
  assert.equal(toHex(keys.sDek), d.s_dek.toLowerCase(), 'S-DEK');
  assert.equal(toHex(scp.receipt), d.receipt.toLowerCase(), 'receipt');

  // the first wrapped command: C-MAC = CMAC(S-MAC, receipt || header with Lc' || ciphertext)
  const wrapped = hex(v.GETSTATUS_capdu);
  const macInput = concatBytes(scp.receipt, wrapped.subarray(0, wrapped.length - v.mac_len));
  assert.equal(toHex(aesCmac(keys.sMac, macInput)), d.cmac_full.toLowerCase(), 'full C-MAC');
  const response = await scp.transmit(decodeCommand(hex(v.GETSTATUS_plain_capdu)));
  assert.equal(response.sw, 0x9000);
  assert.equal(toHex(response.data), d.resp_plain.toLowerCase(), 'decrypted GET STATUS response');
  assert.equal(card.remaining, 0, 'every recorded exchange was used');
}

for (const file of ['scp11', 'scp11-card']) {
  const vectors = loadVectors<Scp11VectorFile>(file).vectors;
  describe(`OCE side replays every session of ${file}.json`, () => {
    it('has entries', () => assert.ok(vectors.length > 0));
    for (const v of vectors) it(v.name, () => replay(v));
  });
}

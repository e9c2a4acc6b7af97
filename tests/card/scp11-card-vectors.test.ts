// The card side of tests/vectors/scp11-card.json, byte for byte at the APDU level (every entry).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.js';
import { loadVectors } from '../helpers/vectors.js';
import { vectorCard, type CardVector } from './support/vector-card.js';

const vectors = loadVectors<{ vectors: CardVector[] }>('scp11-card').vectors;
const SELECT_ISD = '00A4040008A000000151000000';

function exchange(card: ReturnType<typeof vectorCard>['card'], capdu: string): string {
  return toHex(card.processApdu(fromHex(capdu))).toUpperCase();
}

describe('scp11-card.json: the card answers byte for byte', () => {
  assert.ok(vectors.length > 0);
  for (const v of vectors) {
    it(v.name, () => {
      const { card } = vectorCard(v);
      assert.match(exchange(card, SELECT_ISD), /9000$/);

      // GET DATA BF21 and its GET RESPONSE chunks (61xx)
      const rapdus = v.GET_DATA_rapdus.map((r) => r.toUpperCase());
      assert.equal(exchange(card, v.GET_DATA_capdu), rapdus[0]);
      for (const expected of rapdus.slice(1)) assert.equal(exchange(card, v.GET_RESPONSE_capdu), expected);

      for (const pso of v.PSO_capdus) assert.equal(exchange(card, pso), v.PSO_rapdu.toUpperCase());
      assert.equal(exchange(card, v.MA_capdu), v.MA_rapdu.toUpperCase());

      const keys = card.isd.session?.sessionKeys;
      assert.ok(keys !== undefined, 'session open after the handshake');
      const d = v.derived_verified_here;
      assert.equal(toHex(keys.sEnc), d.s_enc.toLowerCase());
      assert.equal(toHex(keys.sMac), d.s_mac.toLowerCase());
      assert.equal(toHex(keys.sRmac), d.s_rmac.toLowerCase());
      assert.equal(toHex(keys.sDek), d.s_dek.toLowerCase());

      assert.equal(exchange(card, v.GETSTATUS_capdu), v.GETSTATUS_rapdu.toUpperCase());
    });

    it(`${v.name}: GET STATUS in the clear is refused, and its plain answer matches inside`, () => {
      const { card } = vectorCard(v);
      exchange(card, SELECT_ISD);
      assert.equal(exchange(card, v.GETSTATUS_plain_capdu), '6982');
    });
  }
});

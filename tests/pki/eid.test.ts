import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../src/bytes/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import {
  CertificateError,
  eidCheckDigitsValid,
  eidSubjectId,
  randomEid,
  withEidCheckDigits,
} from '../../src/pki/index.js';
import { loadVectors } from '../helpers/vectors.js';

describe('EID (SGP.29 check digits, 5F20 encoding)', () => {
  it('accepts the EIDs of the card vectors and computes their check digits', () => {
    for (const v of loadVectors<{ vectors: { EID: string }[] }>('scp11-card').vectors) {
      assert.ok(eidCheckDigitsValid(v.EID), v.EID);
      assert.equal(withEidCheckDigits(v.EID.slice(0, 30)), v.EID);
    }
    assert.equal(eidCheckDigitsValid('89049032331351239527778732902161'), false);
  });

  it('draws random EIDs starting 89 with valid check digits', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const eid = randomEid(new SeededRandom(seed));
        assert.match(eid, /^89[0-9]{30}$/);
        assert.ok(eidCheckDigitsValid(eid));
      }),
      { numRuns: 200 },
    );
  });

  it('encodes 5F20 as 16 bytes of reading-order BCD and refuses other lengths', () => {
    assert.equal(toHex(eidSubjectId('89049032331351239527778732902160')), '89049032331351239527778732902160');
    assert.throws(() => eidSubjectId('8904'), CertificateError);
    assert.throws(() => eidSubjectId('8904903233135123952777873290216x'), CertificateError);
  });
});

// DESIGN.md 4.5: the one definition of AKA key lengths and TUAK parameter ranges (aka/params).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TUAK_DEFAULT_PARAMS, akaKeyLengths, opcName, tuakParamProblem } from '../../src/aka/params/index.js';

describe('aka/params', () => {
  it('gives the K and OPc (TOPc) lengths by algorithm', () => {
    assert.deepEqual(akaKeyLengths('milenage'), { k: [16], opc: [16] });
    assert.deepEqual(akaKeyLengths('tuak'), { k: [16, 32], opc: [32] });
    assert.equal(opcName('milenage'), 'opc');
    assert.equal(opcName('tuak'), 'topc');
  });
  it('accepts the defaults and names the first TUAK parameter out of range', () => {
    assert.equal(tuakParamProblem(TUAK_DEFAULT_PARAMS), undefined);
    assert.deepEqual(tuakParamProblem({ ...TUAK_DEFAULT_PARAMS, keccakIterations: 0 }), {
      field: 'keccakIterations',
      allowed: '1..255',
    });
    assert.deepEqual(
      tuakParamProblem({ ...TUAK_DEFAULT_PARAMS, keccakIterations: 256 })?.field,
      'keccakIterations',
    );
    assert.deepEqual(tuakParamProblem({ ...TUAK_DEFAULT_PARAMS, macLength: 4 }), {
      field: 'macLength',
      allowed: '8, 16 or 32',
    });
    assert.deepEqual(tuakParamProblem({ ...TUAK_DEFAULT_PARAMS, resLength: 2 }), {
      field: 'resLength',
      allowed: '4, 8, 16 or 32',
    });
    assert.deepEqual(tuakParamProblem({ ...TUAK_DEFAULT_PARAMS, ikLength: 8 }), {
      field: 'ikLength',
      allowed: '16 or 32',
    });
  });
});

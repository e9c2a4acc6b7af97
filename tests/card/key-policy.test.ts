// DESIGN.md 4.5 check 8, the one function the card (outcome 05) and the server (imported keys) both apply.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.js';
import { keyPolicyViolation } from '../../src/gp/key-update/index.js';

const k = fromHex('465b5ce8b199b49faa5f0a2ee238a6bc');
const opc = fromHex('cd63cb71954a9f4e48a5994e37a02baf');

describe('key policy (DESIGN.md 4.5 check 8)', () => {
  it('passes distinct, non-uniform keys, with or without the current K', () => {
    assert.equal(keyPolicyViolation(k, opc), undefined);
    assert.equal(keyPolicyViolation(k, opc, opc), undefined);
  });
  it('refuses K or OPc that is one byte value repeated', () => {
    assert.equal(keyPolicyViolation(new Uint8Array(16).fill(0x5a), opc), 'one-byte-value');
    assert.equal(keyPolicyViolation(k, new Uint8Array(32)), 'one-byte-value');
  });
  it('refuses K equal to OPc', () => {
    assert.equal(keyPolicyViolation(k, k.slice()), 'k-equals-opc');
  });
  it('refuses a new K equal to the current K, only when the current K is given', () => {
    assert.equal(keyPolicyViolation(k, opc, k.slice()), 'k-unchanged');
  });
  it('never equates keys of different lengths', () => {
    const topc = fromHex('bd04d9530e87513c5d837ac2ad954623a8e2330c115305a73eb45d1f40cccbff');
    assert.equal(keyPolicyViolation(topc.subarray(0, 16), topc), undefined);
  });
});

// The one DER codec (crypto/der.ts): the reader raises the caller's error; pki/ exposes it with CertificateError.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.js';
import { derReader, derSequence, derUnsignedInteger } from '../../src/crypto/index.js';
import { CertificateError, decodeDer, readUnsignedInteger } from '../../src/pki/index.js';

class Marker extends Error {}

describe('DER codec (X.690)', () => {
  const reader = derReader((m) => new Marker(m));
  it('raises the error the caller chose, naming the context', () => {
    assert.throws(
      () => reader.decodeDer(fromHex('3080'), 'ctx'),
      (e) => e instanceof Marker && /^ctx:/.test(e.message),
    );
  });
  it('refuses a negative INTEGER where an unsigned one is read, in both layers', () => {
    const negative = fromHex('020180');
    assert.throws(() => reader.readUnsignedInteger(reader.decodeDer(negative), 'n'), Marker);
    assert.throws(() => readUnsignedInteger(decodeDer(negative), 'n'), CertificateError);
  });
  it('reads back what it writes', () => {
    const node = reader.decodeDer(
      derSequence(derUnsignedInteger(fromHex('ff')), derUnsignedInteger(fromHex('01'))),
    );
    const [a, b] = reader.derSequenceOf(node, 's', 2, 2);
    assert.deepEqual(reader.readUnsignedInteger(a, 'a'), fromHex('ff'));
    assert.deepEqual(reader.readUnsignedInteger(b, 'b'), fromHex('01'));
    assert.throws(() => reader.derSequenceOf(node, 's', 3), Marker);
  });
});

// Certificate decoders on hostile input: random bytes and mutated valid certificates give a CertificateError
// (or decode), never another exception and never a hang.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, tlv } from '../../src/bytes/index.js';
import { curveByName } from '../../src/crypto/index.js';
import {
  CertificateError,
  decodeCertificate,
  decodeCertificates,
  decodeCrl,
  issueCrl,
} from '../../src/pki/index.js';
import { loadVectors } from '../helpers/vectors.js';
import { makeCa } from './fixtures.js';
import { fromHex } from '../../src/bytes/index.js';

const ca = makeCa(curveByName('P-256'), 'fuzz');
const samples: Uint8Array[] = [
  ca.certificate('gp').raw,
  ca.certificate('x509').raw,
  ca.issue({ format: 'gp', eid: '89049032331351239527778732902160' }).certificate.raw,
  ca.issue({ format: 'x509', eid: '89049032331351239527778732902160' }).certificate.raw,
  ...loadVectors<{ vectors: { CERT_OCE: string }[] }>('scp11').vectors.map((v) => fromHex(v.CERT_OCE)),
];

function onlyCertificateError(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (e) {
    if (!(e instanceof CertificateError))
      throw new Error(`unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.ok(e.message.length > 0);
  }
}

const mutated = fc
  .tuple(
    fc.constantFrom(...samples),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('set', 'insert', 'delete', 'truncate'),
      ),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  )
  .map(([sample, edits]) => {
    let b = Array.from(sample);
    for (const [pos, value, op] of edits) {
      const at = pos % (b.length + 1);
      if (op === 'set' && at < b.length) b[at] = value;
      else if (op === 'insert') b.splice(at, 0, value);
      else if (op === 'delete') b.splice(at, 1);
      else if (op === 'truncate') b = b.slice(0, at);
    }
    return Uint8Array.from(b);
  });

describe('fuzzing the certificate decoders', () => {
  it('random bytes: decodeCertificate and decodeCertificates throw only CertificateError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        onlyCertificateError(decodeCertificate, bytes);
        onlyCertificateError(decodeCertificates, bytes);
        onlyCertificateError(decodeCrl, bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes behind a plausible header (7F21 / 30 82 / BF21)', () => {
    const header = fc.constantFrom(
      Uint8Array.of(0x7f, 0x21),
      Uint8Array.of(0x30, 0x82),
      Uint8Array.of(0xbf, 0x21),
      Uint8Array.of(0x30),
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 400 }), (h, rest) => {
        const bytes = concatBytes(h, rest);
        onlyCertificateError(decodeCertificate, bytes);
        onlyCertificateError(decodeCertificates, bytes);
        onlyCertificateError(decodeCertificate, tlv(0x7f21, rest));
        onlyCertificateError(decodeCertificate, tlv(0x30, rest));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid certificates (set, insert, delete, truncate)', () => {
    fc.assert(
      fc.property(mutated, (bytes) => {
        onlyCertificateError(decodeCertificate, bytes);
        onlyCertificateError(decodeCertificates, tlv(0xbf21, bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated CRLs', () => {
    const crl = issueCrl({
      issuer: ca.key,
      issuerName: 'CA',
      number: 1,
      thisUpdate: new Date('2027-01-01T00:00:00Z'),
      nextUpdate: new Date('2027-02-01T00:00:00Z'),
      entries: [{ serial: Uint8Array.of(1, 2), revocationDate: new Date('2027-01-01T00:00:00Z') }],
    });
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (pos, value) => {
        const b = Uint8Array.from(crl);
        b[pos % b.length] = value;
        onlyCertificateError(decodeCrl, b);
      }),
      { numRuns: 1000 },
    );
  });

  it('a deep or huge nesting is rejected quickly, without recursion trouble', () => {
    let nested: Uint8Array = Uint8Array.of(0x05, 0x00);
    for (let i = 0; i < 2000; i++) nested = tlv(0x30, nested);
    onlyCertificateError(decodeCertificate, nested);
    let gpNested: Uint8Array = Uint8Array.of(0x80, 0x00);
    for (let i = 0; i < 200; i++) gpNested = tlv(0x7f49, gpNested);
    onlyCertificateError(decodeCertificate, tlv(0x7f21, gpNested));
  });
});

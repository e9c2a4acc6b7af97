// Opening an SCP11 channel from the OCE side against a TestCard, for the loopback and failure tests.
import type { AesKeyLength, Scp11OceParams, Scp11Variant } from '../../../src/gp/index.js';
import { CA_KLOC_KVN, SD_KVN, type Pki } from './fixtures.js';

export function oceParams(
  pki: Pki,
  variant: Scp11Variant,
  aesKeyLength: AesKeyLength = 16,
  extra: Partial<Scp11OceParams> = {},
): Scp11OceParams {
  return {
    variant,
    kvn: SD_KVN,
    curve: pki.curve,
    aesKeyLength,
    pkSdEcka: pki.sd.publicKey,
    ...(variant === 'b'
      ? {}
      : {
          skOceEcka: pki.oce,
          oceCertificates: [pki.oceCertificate],
          caKlocReference: { kid: 0x10, kvn: CA_KLOC_KVN },
        }),
    ...extra,
  };
}

/** The test application: answers the command data reversed, followed by P1 bytes of value P2. */
export function echoResponse(data: Uint8Array, p1: number, p2: number): Uint8Array {
  const out = new Uint8Array(data.length + p1);
  out.set(Uint8Array.from(data).reverse());
  out.fill(p2, data.length);
  return out;
}

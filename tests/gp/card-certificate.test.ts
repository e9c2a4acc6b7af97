// readSdCertificate: GET DATA BF21 through the channel stack, then the chain verified against the card issuer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../src/bytes/index.js';
import { curveByName, importPrivateKey } from '../../src/crypto/index.js';
import { readSdCertificate } from '../../src/gp/index.js';
import { GetResponseChannel } from '../../src/iso7816/index.js';
import { CertificateError, trustAnchor } from '../../src/pki/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { loadVectors } from '../helpers/vectors.js';
import { ScriptedChannel, type Exchange } from './helpers/scripted-channel.js';
import { hex, sdKeyRef, type Scp11Vector, type Scp11VectorFile } from './helpers/vector-types.js';

function getData(v: Scp11Vector): Exchange[] {
  return v.GET_DATA_rapdus.map((rapdu, i) => ({
    label: i === 0 ? 'GET DATA BF21' : `GET RESPONSE ${i}`,
    capdu: i === 0 ? v.GET_DATA_capdu : v.GET_RESPONSE_capdu,
    rapdu,
  }));
}

describe('readSdCertificate over every scp11-card.json session', () => {
  for (const v of loadVectors<Scp11VectorFile>('scp11-card').vectors) {
    const anchor = trustAnchor(curveByName(v.CA_curve ?? v.curve), hex(v.PK_CA_KLCC!), { name: 'CA-KLCC' });
    const clock = new FixedClock(new Date(`${v.check_date}T00:00:00Z`));

    it(`${v.name}: verified leaf carries PK.SD.ECKA and the EID`, async () => {
      const channel = new GetResponseChannel(new ScriptedChannel(getData(v)), { le: 'absent' });
      const leaf = await readSdCertificate(channel, sdKeyRef(v), { anchors: [anchor], clock });
      assert.equal(toHex(leaf.publicKey), toHex(importPrivateKey(hex(v.SK_SD_pkcs8!)).publicKey));
      assert.equal(leaf.eid, v.EID);
    });

    it(`${v.name}: an untrusted issuer or a revoked serial is refused`, async () => {
      const other = trustAnchor(curveByName(v.curve), hex(v.derived_verified_here.pk_sd), {
        name: 'not the issuer',
      });
      const channel = () => new GetResponseChannel(new ScriptedChannel(getData(v)), { le: 'absent' });
      await assert.rejects(
        readSdCertificate(channel(), sdKeyRef(v), { anchors: [other], clock }),
        (e: unknown) => e instanceof CertificateError && e.reason === 'untrusted',
      );
      const leaf = await readSdCertificate(channel(), sdKeyRef(v), { anchors: [anchor], clock });
      await assert.rejects(
        readSdCertificate(channel(), sdKeyRef(v), { anchors: [anchor], clock, denyList: [leaf.serial] }),
        (e: unknown) => e instanceof CertificateError && e.reason === 'revoked',
      );
    });
  }
});

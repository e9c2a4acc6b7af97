// `ltku card show`: what a card image holds; keys only with --show-keys. Issue 13: the trusted CA-KLOC keys (KVN,
// key id as FF33 lists it), the OCE allowlists (per key set and per CA-KLOC key) and the OCE deny list.
import { toHex } from '../../../bytes/index.js';
import { UsimSqnArray } from '../../../aka/index.js';
import { caKeyId, decodeCertificate } from '../../../pki/index.js';
import { checkValuesOf, loadCardImage, type CardImage } from '../../../card/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { printJson, printTable } from '../../output.js';

function view(image: CardImage, showKeys: boolean) {
  return {
    eid: image.eid,
    settings: image.settings,
    keySets: image.keySets.map((k) => {
      const leaf = decodeCertificate(k.certificates[k.certificates.length - 1]);
      return {
        kid: k.kid,
        kvn: k.kvn,
        curve: k.keyPair.curve.name,
        certificate: {
          format: leaf.format,
          subject: leaf.subject,
          serial: toHex(leaf.serial),
          notAfter: leaf.notAfter.toISOString(),
        },
        ...(k.oceAllowlist === undefined ? {} : { oceAllowlist: k.oceAllowlist.map(toHex) }),
      };
    }),
    trustedOceCas: image.caKloc.map((c) => ({
      kvn: c.kvn,
      curve: c.curve.name,
      name: c.name,
      keyId: toHex(caKeyId(c.publicKey)),
      ...(c.oceAllowlist === undefined ? {} : { oceAllowlist: c.oceAllowlist.map(toHex) }),
    })),
    denyList: image.denyList.map(toHex),
    profiles: image.profiles.map((p) => ({
      iccid: p.iccid,
      imsi: p.imsi,
      usimAid: toHex(p.usimAid),
      algorithm: p.keys.algorithm,
      keyVersion: p.keyVersion,
      checkValues: toHex(checkValuesOf(p.keys)),
      sqnMs: UsimSqnArray.fromJSON(p.sqn).sqnMs().toString(),
      ...(p.lastUpdate === undefined ? {} : { lastTransactionId: toHex(p.lastUpdate.transactionId) }),
      ...(showKeys ? { k: toHex(p.keys.k), opc: toHex(p.keys.opc), parameters: p.keys.parameters } : {}),
    })),
  };
}

function serials(list: readonly string[]): string {
  return list.length === 0 ? '(empty: any OCE accepted)' : `serials ${list.join(' ')}`;
}

export const command: Command = {
  summary: 'show a card image: EID, SCP11 key sets, trusted CAs, profiles (keys only with --show-keys)',
  usage: 'ltku card show CARD [--json] [--show-keys]',
  options: { json: { type: 'boolean' }, 'show-keys': { type: 'boolean' } },
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('exactly one CARD file expected');
    const v = view(loadCardImage(ctx.positionals[0]), ctx.values['show-keys'] === true);
    if (ctx.values.json === true) {
      printJson(ctx.stdout, v);
      return 0;
    }
    printTable(ctx.stdout, [
      ['EID', v.eid],
      ['data objects', `${v.settings.dataObjects}, minimum AES-${v.settings.minAesKeyLength * 8}`],
      ...v.keySets.map(
        (k) =>
          [
            'SCP11 key set',
            `KID ${k.kid.toString(16)} KVN ${k.kvn} ${k.curve}, ${k.certificate.format} ${k.certificate.subject} serial ${k.certificate.serial}`,
          ] as const,
      ),
      ...v.keySets.flatMap((k) =>
        k.oceAllowlist === undefined
          ? []
          : [
              [
                `OCE allowlist`,
                `KID ${k.kid.toString(16)} KVN ${k.kvn}: ${serials(k.oceAllowlist)}`,
              ] as const,
            ],
      ),
      ...v.trustedOceCas.flatMap((c) => [
        ['trusted CA-KLOC', `KVN ${c.kvn} ${c.curve} key id ${c.keyId} ${c.name ?? ''}`.trimEnd()] as const,
        ...(c.oceAllowlist === undefined
          ? []
          : [['OCE allowlist', `CA-KLOC KVN ${c.kvn}: ${serials(c.oceAllowlist)}`] as const]),
      ]),
      ['OCE deny list', v.denyList.length === 0 ? '(empty)' : serials(v.denyList)],
      ...v.profiles.flatMap((p) => [
        ['profile', `ICCID ${p.iccid} IMSI ${p.imsi} ${p.algorithm} key version ${p.keyVersion}`] as const,
        [
          '',
          `USIM ${p.usimAid}, KCV ${p.checkValues}, SQN_MS ${p.sqnMs}${p.lastTransactionId ? `, last update ${p.lastTransactionId}` : ''}`,
        ] as const,
        ...(p.k === undefined
          ? []
          : [['', `K ${p.k} ${'topc' in p ? `TOPc ${p.topc}` : `OPc ${p.opc}`}`] as const]),
      ]),
    ]);
    return 0;
  },
};

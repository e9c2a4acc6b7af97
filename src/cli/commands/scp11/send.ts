// `ltku scp11 send`: opens SCP11 (GPC Amd F) to a card's ISD as an OCE and sends APDUs inside the channel,
// printing the plain responses. The card is an image file (in-process) or a card served over TCP.
import { readFileSync } from 'node:fs';
import { BytesError, equalBytes, fromHex, toHex } from '../../../bytes/index.js';
import { cryptoRandom, importPrivateKey, CryptoError } from '../../../crypto/index.js';
import {
  CLA_ISO,
  GetResponseChannel,
  INS_SELECT,
  decodeCommand,
  describeSw,
  command as apdu,
  transmitOk,
  ApduError,
  type CardChannel,
} from '../../../iso7816/index.js';
import { certificateStoreQuery, getDataCommand } from '../../../gp/get-data.js';
import { ISD_AID, KID_CA_KLOC, TAG_CA_KLOC_IDS, TAG_KEY_INFO_TEMPLATE } from '../../../gp/constants.js';
import { AES_KEY_LENGTHS, kidOfVariant, openScp11, type Scp11Variant } from '../../../gp/scp11/index.js';
import {
  decodeCaKlocIdentifiers,
  decodeCertificateStore,
  decodeKeyInformation,
} from '../../../gp/data-objects/index.js';
import { decodeCertificate } from '../../../pki/index.js';
import { TcpCardChannel } from '../../../ue/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { parseHostPort } from '../../host-port.js';
import { exactlyOne, optionalChoice, optionalInt, requireString } from '../../options.js';
import { printJson } from '../../output.js';
import { openCardFile } from '../card/support/open-card.js';
import { readCertificateFile } from '../card/support/files.js';

/** ISO/IEC 7816-4 11.1.1: SELECT by DF name. */
const P1_SELECT_BY_NAME = 0x04;

function equal(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && equalBytes(a, b);
}

export const command: Command = {
  summary: 'open an SCP11 channel to a card ISD and send APDUs inside it',
  usage: [
    'ltku scp11 send (--card CARD | --tcp HOST:PORT) --key OCE.key --chain OCE.crt[,CA.crt...]',
    '                [--kvn N] [--variant a|b|c] [--aes 16|24|32] [--json] HEX...',
    '  --chain: leaf first (PEM/DER X.509 or GP); --kvn: the card key set (default: the first with the KID);',
    "  the CA-KLOC reference comes from GET DATA FF33 (the key id that issued the chain's root-side certificate).",
  ].join('\n'),
  options: {
    card: { type: 'string' },
    tcp: { type: 'string' },
    key: { type: 'string' },
    chain: { type: 'string' },
    kvn: { type: 'string' },
    variant: { type: 'string' },
    aes: { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(ctx) {
    const v = ctx.values;
    const where = exactlyOne(v, ['card', 'tcp']);
    const variant = (optionalChoice(v, 'variant', ['a', 'b', 'c'] as const) ?? 'a') as Scp11Variant;
    const aes = (optionalInt(v, 'aes', AES_KEY_LENGTHS) ?? 16) as 16 | 24 | 32;
    const kvnOption = optionalInt(v, 'kvn', undefined, [0, 255]);
    const commands = ctx.positionals.map((h, i) => {
      try {
        return decodeCommand(fromHex(h.replace(/\s+/g, ''), `APDU ${i + 1}`));
      } catch (e) {
        if (e instanceof BytesError || e instanceof ApduError)
          throw new UsageError(`APDU ${i + 1}: ${e.message}`);
        throw e;
      }
    });
    let skOce;
    try {
      skOce = importPrivateKey(readFileSync(requireString(v, 'key'), 'utf8'));
    } catch (e) {
      if (e instanceof CryptoError || (e as NodeJS.ErrnoException).code !== undefined) {
        throw new UsageError(`--key: ${(e as Error).message}`);
      }
      throw e;
    }
    const chain = requireString(v, 'chain')
      .split(',')
      .flatMap((p) => readCertificateFile(p, 'chain'))
      .reverse(); // root side first, leaf last (GPC Amd F 7.5)

    let transport: CardChannel;
    let close = () => {};
    if (where === 'card') {
      const card = openCardFile(v.card as string);
      transport = card;
      close = () => card.close();
    } else {
      const target = parseHostPort(v.tcp as string, 'tcp', { connect: true });
      const tcp = await TcpCardChannel.connect(target.host, target.port);
      transport = tcp;
      close = () => tcp.close();
    }
    try {
      const channel = new GetResponseChannel(transport);
      await transmitOk(
        channel,
        apdu(CLA_ISO, INS_SELECT, P1_SELECT_BY_NAME, 0x00, ISD_AID, 256),
        'SELECT ISD',
      );
      const kid = kidOfVariant(variant);
      const info = decodeKeyInformation(
        await transmitOk(channel, getDataCommand(TAG_KEY_INFO_TEMPLATE), 'GET DATA 00E0'),
      );
      const kvn = kvnOption ?? info.entries.find((e) => e.kid === kid)?.kvn;
      if (kvn === undefined)
        throw new UsageError(`the card has no key set with KID ${kid.toString(16)} (SCP11${variant})`);
      const store = await transmitOk(channel, certificateStoreQuery(kid, kvn), 'GET DATA BF21');
      const certificates = decodeCertificateStore(store);
      const leaf = decodeCertificate(certificates[certificates.length - 1]);
      let caKlocReference;
      if (variant !== 'b') {
        const root = decodeCertificate(chain[0]);
        const ids = decodeCaKlocIdentifiers(
          await transmitOk(channel, getDataCommand(TAG_CA_KLOC_IDS), 'GET DATA FF33'),
        );
        const match = ids.find(
          (id) => equal(id.keyId, root.issuerKeyId) || equal(id.keyId, root.subjectKeyId),
        );
        caKlocReference =
          match !== undefined
            ? { kid: match.kid, kvn: match.kvn }
            : { kid: KID_CA_KLOC, kvn: ids[0]?.kvn ?? 1 };
      }
      const json = ctx.values.json === true;
      if (!json)
        ctx.stdout.write(
          `card ${leaf.eid ?? leaf.subject}: SCP11${variant} with key set ${kid.toString(16)}/${kvn} (${leaf.curve.name}), AES-${aes * 8}\n`,
        );
      const scp = await openScp11(
        channel,
        {
          variant,
          kvn,
          kid,
          curve: leaf.curve,
          aesKeyLength: aes,
          pkSdEcka: leaf.publicKey,
          ...(variant === 'b' ? {} : { skOceEcka: skOce, oceCertificates: chain, caKlocReference }),
        },
        cryptoRandom,
      );
      const exchanges: { command: string; response: string; sw: string; status: string }[] = [];
      for (const c of commands) {
        const r = await scp.transmit(c);
        const header = toHex(Uint8Array.of(c.cla, c.ins, c.p1, c.p2));
        exchanges.push({
          command: header + toHex(c.data),
          response: toHex(r.data),
          sw: r.sw.toString(16).padStart(4, '0'),
          status: describeSw(r.sw),
        });
        if (json) continue;
        ctx.stdout.write(
          `> ${toHex(Uint8Array.of(c.cla, c.ins, c.p1, c.p2)).toUpperCase()}${c.data.length ? ' ' + toHex(c.data).toUpperCase() : ''}\n`,
        );
        ctx.stdout.write(`< ${toHex(r.data).toUpperCase()}${r.data.length ? ' ' : ''}${describeSw(r.sw)}\n`);
      }
      scp.close();
      if (json)
        printJson(ctx.stdout, {
          card: leaf.eid ?? leaf.subject,
          variant: `scp11${variant}`,
          kid,
          kvn,
          curve: leaf.curve.name,
          aesKeyLength: aes,
          exchanges,
        });
      return 0;
    } finally {
      close();
    }
  },
};

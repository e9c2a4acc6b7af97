// `ltku pki revoke`: adds a serial to the issuing CA's revocation list and republishes its CRL
// (RFC 5280 5.1, DER at DIR/ca-<id>.crl). Relying parties pass the CRL's serials as the chain deny list.
// Issue 13: with --publish, an OCE certificate's revocation also goes to the cards in the field: the running
// server's admin API creates a deny-list job (STORE DATA BF74, add) for every card of its inventory.
import { join } from 'node:path';
import { BytesError, fromHex, toHex } from '../../../bytes/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalChoice, optionalString, requireString } from '../../options.js';
import { printJson } from '../../output.js';
import { adminRequest } from '../server/support/admin-client.js';
import { ADMIN_OPTIONS, ADMIN_USAGE, adminTargetOf } from '../server/support/admin-options.js';
import {
  CA_IDS,
  caGeneration,
  caGenerations,
  loadCaKey,
  loadIndex,
  publishCrl,
  saveIndex,
  type CaId,
} from './support/pki-dir.js';

/** Serial as lowercase hex without leading zero bytes (how pki.json and CRLs record it). */
function normalSerial(text: string): string {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(text, '--serial');
  } catch (e) {
    if (e instanceof BytesError) throw new UsageError(e.message);
    throw e;
  }
  if (bytes.length === 0 || bytes.length > 20)
    throw new UsageError('--serial: 1 to 20 bytes of hex expected');
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return toHex(bytes.subarray(i));
}

export const command: Command = {
  summary: "revoke a certificate: add its serial to the issuing CA's CRL",
  usage: [
    'ltku pki revoke --dir DIR --serial HEX [--ca klcc|kloc] [--json]',
    `                [--publish ${ADMIN_USAGE} [--cards-batch NAME]]`,
    '  the issuing CA is found in DIR/pki.json; --ca names it for a serial issued elsewhere',
    '  --publish: an OCE certificate (CA-KLOC) is also put on the deny list of every card of the server',
    "    inventory (or of one manufacturing batch), by card-management jobs the server's RAM endpoint runs",
  ].join('\n'),
  options: {
    dir: { type: 'string' },
    serial: { type: 'string' },
    ca: { type: 'string' },
    json: { type: 'boolean' },
    publish: { type: 'boolean' },
    'cards-batch': { type: 'string' },
    ...ADMIN_OPTIONS,
  },
  async run(ctx) {
    const dir = requireString(ctx.values, 'dir');
    const serial = normalSerial(requireString(ctx.values, 'serial'));
    const explicitCa = optionalChoice(ctx.values, 'ca', CA_IDS);
    const index = loadIndex(dir);
    for (const record of CA_IDS.flatMap((id) => caGenerations(index, id))) {
      if (record.serial === serial) {
        throw new UsageError(
          `--serial: ${serial} is the certificate of ${record.name} itself; remove that CA from the trust stores instead`,
        );
      }
    }
    const issued = index.issued.find((r) => r.serial === serial);
    const ca: CaId | undefined = explicitCa ?? issued?.issuer;
    if (ca === undefined) {
      throw new UsageError(
        `--serial: ${serial} was not issued from ${dir}; give --ca klcc|kloc to revoke it anyway`,
      );
    }
    if (issued !== undefined && explicitCa !== undefined && issued.issuer !== explicitCa) {
      throw new UsageError(
        `--ca: serial ${serial} was issued by ${index.cas[issued.issuer].name}, not ${index.cas[explicitCa].name}`,
      );
    }
    // issue 13: the generation that signed it (after `ltku pki rotate`), else the current one
    const record =
      (issued !== undefined && caGeneration(index, ca, issued.issuerGeneration ?? 1)) || index.cas[ca];
    // Issue 13: cards keep a deny list of OCE certificates only; checked before anything is written
    const publish = ctx.values.publish === true ? adminTargetOf(ctx.values) : undefined;
    if (publish !== undefined && ca !== 'kloc') {
      throw new UsageError(
        `--publish: serial ${serial} is a card certificate (${index.cas[ca].name}); cards keep a deny list of OCE certificates only`,
      );
    }
    const cardsBatch = optionalString(ctx.values, 'cards-batch');
    if (cardsBatch !== undefined && publish === undefined)
      throw new UsageError('--cards-batch goes with --publish');
    const already = record.revoked.some((r) => r.serial === serial);
    let crlPath = join(dir, record.crl);
    if (!already) {
      const now = new Date();
      now.setUTCMilliseconds(0);
      record.revoked.push({ serial, date: now.toISOString() });
      crlPath = publishCrl(dir, index, ca, loadCaKey(dir, index, ca, record), now, record);
      saveIndex(dir, index);
    }
    const published =
      publish === undefined
        ? undefined
        : ((await adminRequest(publish, 'POST', '/admin/v1/card-jobs', {
            cards: cardsBatch === undefined ? 'all' : { batch: cardsBatch },
            order: { kind: 'deny-list', mode: 'add', serials: [serial] },
            batch: `revoke-${serial}`,
          })) as { created: number; refused: unknown[] });
    if (ctx.values.json === true) {
      printJson(ctx.stdout, {
        serial,
        ca: record.name,
        alreadyRevoked: already,
        crl: crlPath,
        crlNumber: record.crlNumber,
        ...(published === undefined
          ? {}
          : {
              published: {
                batch: `revoke-${serial}`,
                jobs: published.created,
                refused: published.refused.length,
              },
            }),
      });
    } else {
      if (published !== undefined)
        ctx.stdout.write(
          `published to cards: ${published.created} deny-list jobs (batch revoke-${serial}), ${published.refused.length} cards refused\n`,
        );
      ctx.stdout.write(
        already
          ? `serial ${serial} was already revoked by ${record.name} (${crlPath})\n`
          : `revoked serial ${serial}: ${record.name} CRL number ${record.crlNumber} written to ${crlPath}\n`,
      );
    }
    return 0;
  },
};

// `ltku pki rotate` (issue 13): a new generation of CA-KLOC (or CA-KLCC) beside the old one, which stays valid,
// keeps its key and CRL, and can still be chosen (`pki issue --ca-generation N`).
//
// Not cross-signed, by choice. GPC Amd F 7.5.2: PERFORM SECURITY OPERATION names the CA-KLOC key by KID/KVN
// in P1/P2 and the card validates the OCE chain from that public key (gp/scp11/security-domain.ts
// #anchorsFor, #validate): trust is a set of CA-KLOC public keys, not a root that certificates chain to.
// A rotation therefore runs: the card receives the new CA-KLOC key inside SCP11a, holds both for a while
// (FF33 lists both), then the old one is removed. The server keeps an OCE credential of each generation and
// presents, per card, the one whose CA-KLOC the card lists in FF33 (server/session.ts #afterRead). A new
// generation signed by the old key would only help a card that trusts the old key alone, and that card
// already accepts the old generation's OCE certificate; after the old key is gone from the card the cross
// certificate chains to nothing the card trusts. Signed the other way (new over old), it would make cards
// that trust only the new key accept old-generation OCE certificates: what a rotation after a CA-KLOC
// compromise must stop (issue 13: old-CA OCE certificates refused after rotation).
import { cryptoRandom } from '../../../crypto/index.js';
import type { Command } from '../../command.js';
import { optionalChoice, optionalInt, requireString } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { createCaGeneration } from './support/ca-generation.js';
import {
  CA_IDS,
  DAY_MS,
  caGenerations,
  generationOf,
  loadIndex,
  pkiCurve,
  saveIndex,
  type CaId,
} from './support/pki-dir.js';

const DEFAULT_CA_DAYS = 3650;

export const command: Command = {
  summary: 'create a new generation of CA-KLOC (or CA-KLCC); the old one stays valid (not cross-signed)',
  usage: [
    'ltku pki rotate --dir DIR [--ca kloc|klcc] [--days N] [--json]',
    '  writes DIR/ca-<ca>-g<N>.{key,crt,der,crl} (default --ca kloc, --days 3650) and makes it the current',
    '  generation: `pki issue` signs with it unless --ca-generation names another; `card create` trusts it.',
    '  Next: `ltku pki issue --role oce ...` for the new OCE certificate; the server holds both generations',
    '  and presents, per card, the OCE chain of a CA-KLOC the card lists (FF33).',
    '  Not cross-signed: cards trust CA-KLOC public keys (GPC Amd F 7.5.2), see the head of rotate.ts.',
  ].join('\n'),
  options: {
    dir: { type: 'string' },
    ca: { type: 'string' },
    days: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const dir = requireString(ctx.values, 'dir');
    const ca: CaId = optionalChoice(ctx.values, 'ca', CA_IDS) ?? 'kloc';
    const days = optionalInt(ctx.values, 'days', undefined, [1, 36500]) ?? DEFAULT_CA_DAYS;
    const index = loadIndex(dir);
    const now = new Date();
    now.setUTCMilliseconds(0);
    const old = index.cas[ca];
    const generation = Math.max(...caGenerations(index, ca).map(generationOf)) + 1;
    const record = createCaGeneration(dir, index, ca, generation, {
      curve: pkiCurve(index),
      notBefore: now,
      notAfter: new Date(now.getTime() + days * DAY_MS),
      rng: cryptoRandom,
    });
    index.previous = { ...index.previous, [ca]: [...(index.previous?.[ca] ?? []), old] };
    index.cas[ca] = record;
    saveIndex(dir, index);
    const generations = caGenerations(index, ca).map((r) => ({
      generation: generationOf(r),
      name: r.name,
      keyId: r.keyId,
      serial: r.serial,
      notAfter: r.notAfter,
      current: r === record,
    }));
    if (ctx.values.json === true) {
      printJson(ctx.stdout, { dir, ca, generation, crossSigned: false, current: record, generations });
    } else {
      ctx.stdout.write(
        `${record.name}: key id ${record.keyId}, serial ${record.serial} (not cross-signed)\n`,
      );
      printTable(
        ctx.stdout,
        generations.map(
          (g) =>
            [
              `  generation ${g.generation}${g.current ? ' (current)' : ''}`,
              `key id ${g.keyId}, until ${g.notAfter}`,
            ] as const,
        ),
      );
      if (ca === 'kloc')
        ctx.stdout.write(`next: ltku pki issue --dir ${dir} --role oce --format gp --out PREFIX\n`);
    }
    return 0;
  },
};

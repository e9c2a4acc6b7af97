// `ltku fleet create`: personalises N virtual cards into one SQLite file (issue 11) as `ltku card create` does
// each, with numbered IMSIs/ICCIDs, and writes the fleet's personalisation output in bulk: one file, one card
// per line (JSON Lines of "ltku-subscribers/1"), which `ltku hss import` and the server's --inventory read.
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { CURVES, cryptoRandom, curveByName } from '../../../crypto/index.js';
import { randomEid } from '../../../pki/index.js';
import { subscribersFile } from '../../../card/index.js';
import { personaliseFleetCard } from '../../../fleet/index.js';
import { BATCH_ID } from '../../../server/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { optionalChoice, optionalInt, optionalString, requireString } from '../../options.js';
import { printJson } from '../../output.js';
import { DAY_MS } from '../pki/support/pki-dir.js';
import { FleetDb } from './support/fleet-db.js';
import { loadFleetPki } from './support/fleet-pki.js';

const DEFAULT_CARD_DAYS = 3650;
const MAX_CARDS = 10_000_000;
/** Cards personalised per transaction of the fleet file. */
const BATCH = 500;

export const command: Command = {
  summary: 'personalise a fleet of N virtual cards into one file, with its bulk personalisation output',
  usage: [
    'ltku fleet create --pki DIR --cards N --out FLEET.sqlite --inventory-out FILE.jsonl [--profiles P]',
    '                  [--alg milenage|tuak] [--imsi-prefix MCCMNC] [--first-msin N] [--curve NAME] [--days N]',
    '                  [--batch ID] [--json]',
    '  FLEET.sqlite (mode 0600) holds every card image (K/OPc, SK.SD.ECKA); FILE.jsonl (mode 0600) holds one',
    '  card per line in the format of `ltku card create --subscribers-out`: `ltku hss import FILE.jsonl` and',
    '  `ltku server serve --inventory FILE.jsonl` read it. IMSIs are MCCMNC + consecutive MSINs from --first-msin.',
    '  --batch: the manufacturing batch every card of the fleet belongs to (campaigns select by it)',
  ].join('\n'),
  options: {
    pki: { type: 'string' },
    cards: { type: 'string' },
    out: { type: 'string' },
    'inventory-out': { type: 'string' },
    profiles: { type: 'string' },
    alg: { type: 'string' },
    'imsi-prefix': { type: 'string' },
    'first-msin': { type: 'string' },
    curve: { type: 'string' },
    days: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const v = ctx.values;
    const pkiDir = requireString(v, 'pki');
    const cards = optionalInt(v, 'cards', undefined, [1, MAX_CARDS]);
    if (cards === undefined) throw new UsageError('missing option --cards');
    const out = requireString(v, 'out');
    const inventoryOut = requireString(v, 'inventory-out');
    const profiles = optionalInt(v, 'profiles', undefined, [1, 255]) ?? 1;
    const algorithm = optionalChoice(v, 'alg', ['milenage', 'tuak'] as const) ?? 'milenage';
    const imsiPrefix = optionalString(v, 'imsi-prefix') ?? '00101';
    if (!/^[0-9]{5,6}$/.test(imsiPrefix)) throw new UsageError('--imsi-prefix: MCC and MNC, 5 or 6 digits');
    const firstMsin = optionalInt(v, 'first-msin') ?? 0;
    const msinDigits = 15 - imsiPrefix.length;
    if (String(firstMsin + cards * profiles - 1).length > msinDigits)
      throw new UsageError(
        `--first-msin: ${cards * profiles} profiles from ${firstMsin} exceed ${msinDigits} MSIN digits`,
      );
    const curveName =
      optionalChoice(
        v,
        'curve',
        CURVES.map((c) => c.name),
      ) ?? undefined;
    const days = optionalInt(v, 'days', undefined, [1, 36500]) ?? DEFAULT_CARD_DAYS;
    const batch = optionalString(v, 'batch');
    if (batch !== undefined && !BATCH_ID.test(batch))
      throw new UsageError(
        "--batch: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    if (existsSync(inventoryOut))
      throw new UsageError(`--inventory-out: ${inventoryOut} already exists; not overwriting it`);
    const pki = loadFleetPki(pkiDir);
    const curve = curveByName(curveName ?? pki.index.curve);
    const db = FleetDb.create(out);
    const fd = openSync(inventoryOut, 'wx', 0o600);
    const now = new Date();
    now.setUTCMilliseconds(0);
    const started = performance.now();
    try {
      for (let at = 0; at < cards; at += BATCH) {
        const images = [];
        for (let card = at; card < Math.min(cards, at + BATCH); card++) {
          const image = personaliseFleetCard(
            {
              eid: randomEid(cryptoRandom),
              profiles,
              algorithm,
              imsiPrefix,
              curves: [curve],
              sdCertificateFormat: 'gp',
              issuer: pki.issuer,
              trustedOceCas: pki.trustedOceCas,
              dataObjects: 'gp',
              minAesKeyLength: 16,
              notBefore: now,
              notAfter: new Date(now.getTime() + days * DAY_MS),
              rng: cryptoRandom,
            },
            { imsiPrefix, firstMsin },
            card,
          );
          images.push(image);
          writeSync(fd, JSON.stringify({ ...subscribersFile(image), ...(batch ? { batch } : {}) }) + '\n');
        }
        db.add(images);
      }
    } finally {
      closeSync(fd);
      db.close();
      pki.save();
    }
    const seconds = (performance.now() - started) / 1000;
    const summary = { fleet: out, inventory: inventoryOut, cards, profiles: cards * profiles, seconds };
    if (v.json === true) printJson(ctx.stdout, summary);
    else
      ctx.stdout.write(
        `created a fleet of ${cards} cards (${cards * profiles} profiles) in ${out} and its personalisation ` +
          `output in ${inventoryOut} (both mode 0600, hold clear K/OPc) in ${seconds.toFixed(1)} s\n`,
      );
    return 0;
  },
};

// `ltku hss import FILE`: provisions the subscribers of a personalisation output file (contracts.md), or of its
// bulk form (JSON Lines, one card a line: `ltku fleet create --inventory-out`), in batched transactions.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  InvalidRequestError,
  isPersonalisationLines,
  parsePersonalisationFile,
  parsePersonalisationLine,
  type HssRuntime,
  type NewSubscriber,
} from '../../../hss/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { printJson, printTable } from '../../output.js';
import { openFromOptions, STORE_OPTIONS, STORE_USAGE } from './lib/store-options.js';

/** Subscribers per store transaction (issue 11: one transaction per subscriber caps an import at ~1k/s). */
const BATCH = 2000;
const ACTOR = 'cli-import';

/** The bulk form has a whole document on its first line and more after it (one line: read as a single file). */
async function isBulk(file: string): Promise<boolean> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const first: string[] = [];
  try {
    for await (const line of lines) {
      if (first.length === 0 && !isPersonalisationLines(line)) return false;
      if (line.trim() !== '') first.push(line);
      if (first.length === 2) return true;
    }
    return false;
  } finally {
    lines.close();
  }
}

/** The bulk form, streamed: a batch goes to the store whenever BATCH subscribers are parsed. */
async function importLines(file: string, runtime: HssRuntime) {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const existing: string[] = [];
  let batch: NewSubscriber[] = [];
  let total = 0;
  let cards = 0;
  let n = 0;
  // One batch in the database while the next is parsed and sealed (PostgreSQL works in its own process).
  let inflight: Promise<void> = Promise.resolve();
  const flush = async () => {
    const next = batch;
    batch = [];
    await inflight;
    inflight = runtime.hss.createMany(next, ACTOR).then((r) => void existing.push(...r.existing));
    inflight.catch(() => {}); // awaited at the next flush or at the end; handled there
  };
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      const card = parsePersonalisationLine(line, n);
      cards++;
      total += card.subscribers.length;
      batch.push(...card.subscribers);
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
  } catch (e) {
    await inflight.catch(() => {});
    throw e;
  }
  await inflight;
  return { cards, total, existing };
}

export const command: Command = {
  summary: 'import subscribers from a personalisation output file (ltku card create --subscribers-out)',
  usage: [
    `ltku hss import FILE ${STORE_USAGE}`,
    "  FILE: one card's file (ltku-subscribers/1), or the bulk form, one card per line (ltku fleet create)",
    '  existing IMSIs are left unchanged and reported as "exists"',
  ].join('\n'),
  options: STORE_OPTIONS,
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('expected one FILE');
    const file = ctx.positionals[0];
    let bulk: boolean;
    try {
      bulk = await isBulk(file);
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (bulk) return importBulk(ctx, file);
    const parsed = parsePersonalisationFile(readFileSync(file, 'utf8'));
    const runtime = await openFromOptions(ctx);
    const existing = new Set<string>();
    try {
      for (let at = 0; at < parsed.subscribers.length; at += BATCH) {
        const batch = parsed.subscribers.slice(at, at + BATCH);
        for (const imsi of (await runtime.hss.createMany(batch, ACTOR)).existing) existing.add(imsi);
      }
    } finally {
      await runtime.close();
    }
    const results = parsed.subscribers.map((s) => ({
      imsi: s.imsi,
      outcome: existing.has(s.imsi) ? ('exists' as const) : ('created' as const),
    }));
    const created = results.filter((r) => r.outcome === 'created').length;
    if (ctx.values.json) {
      printJson(ctx.stdout, {
        file,
        eid: parsed.eid ?? null,
        database: runtime.database,
        created,
        subscribers: results,
      });
    } else {
      printTable(
        ctx.stdout,
        results.map((r) => [r.imsi, r.outcome] as const),
      );
      ctx.stdout.write(`${created} of ${results.length} subscribers imported into ${runtime.database}\n`);
    }
    return 0;
  },
};

async function importBulk(ctx: Parameters<Command['run']>[0], file: string): Promise<number> {
  const runtime = await openFromOptions(ctx);
  const started = performance.now();
  let result;
  try {
    result = await importLines(file, runtime);
  } catch (e) {
    if (e instanceof InvalidRequestError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  } finally {
    await runtime.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const created = result.total - result.existing.length;
  const summary = {
    file,
    database: runtime.database,
    cards: result.cards,
    subscribers: result.total,
    created,
    exists: result.existing,
    seconds: Number(seconds.toFixed(3)),
    subscribersPerSecond: Math.round(result.total / Math.max(seconds, 1e-9)),
  };
  if (ctx.values.json) printJson(ctx.stdout, summary);
  else {
    if (result.existing.length > 0)
      ctx.stdout.write(`exists (left unchanged): ${result.existing.join(' ')}\n`);
    ctx.stdout.write(
      `${created} of ${result.total} subscribers (${result.cards} cards) imported into ${runtime.database} ` +
        `in ${seconds.toFixed(1)} s (${summary.subscribersPerSecond}/s)\n`,
    );
  }
  return 0;
}

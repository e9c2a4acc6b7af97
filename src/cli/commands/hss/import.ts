// `ltku hss import FILE`: provisions the subscribers of a personalisation output file (contracts.md).
import { readFileSync } from 'node:fs';
import { ConflictError, parsePersonalisationFile } from '../../../hss/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { printJson, printTable } from '../../output.js';
import { openFromOptions, STORE_OPTIONS, STORE_USAGE } from './lib/store-options.js';

export const command: Command = {
  summary: 'import subscribers from a personalisation output file (ltku card create --subscribers-out)',
  usage: `ltku hss import FILE ${STORE_USAGE}\n  existing IMSIs are left unchanged and reported as "exists"`,
  options: STORE_OPTIONS,
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('expected one FILE');
    const file = ctx.positionals[0];
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const parsed = parsePersonalisationFile(text);
    const runtime = await openFromOptions(ctx);
    const results: { imsi: string; outcome: 'created' | 'exists' }[] = [];
    try {
      for (const s of parsed.subscribers) {
        try {
          await runtime.hss.create(s, 'cli-import');
          results.push({ imsi: s.imsi, outcome: 'created' });
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          results.push({ imsi: s.imsi, outcome: 'exists' });
        }
      }
    } finally {
      await runtime.close();
    }
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

// `ltku hss show IMSI|ICCID`: one subscriber's state (never its keys), optionally with the audit trail.
import { toHex } from '../../../bytes/index.js';
import type { AuditEvent } from '../../../hss/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../output.js';
import { resolveImsi } from './lib/subscriber-id.js';
import { printView, viewForCli } from './lib/view.js';
import { openFromOptions, STORE_OPTIONS, STORE_USAGE } from './lib/store-options.js';

export const command: Command = {
  summary: 'show a subscriber (versions, candidate, SQN; never keys) and its audit trail',
  usage: `ltku hss show IMSI|ICCID [--audit] ${STORE_USAGE}`,
  options: { ...STORE_OPTIONS, audit: { type: 'boolean' } },
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('expected one IMSI or ICCID');
    const runtime = await openFromOptions(ctx);
    try {
      const imsi = await resolveImsi(runtime.hss, ctx.positionals[0]);
      const view = await runtime.hss.get(imsi);
      const audit = ctx.values.audit ? (await runtime.hss.audit(imsi)).map(auditForCli) : undefined;
      if (ctx.values.json) {
        printJson(ctx.stdout, { ...viewForCli(view), ...(audit ? { audit } : {}) });
      } else {
        printView(ctx.stdout, view);
        for (const e of audit ?? []) {
          ctx.stdout.write(
            `${e.at.toISOString()}  ${e.event.padEnd(20)} v${e.keyVersion ?? '-'}  ${e.transactionId ?? ''}  ${e.actor}\n`,
          );
        }
      }
    } finally {
      await runtime.close();
    }
    return 0;
  },
};

/** An audit line as the CLI prints it: the transaction id in hex. */
function auditForCli(e: AuditEvent) {
  return { ...e, transactionId: e.transactionId === null ? null : toHex(e.transactionId) };
}

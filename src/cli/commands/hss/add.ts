// `ltku hss add`: provisions one subscriber. Keys are taken from options and never printed.
import type { KeyMaterial } from '../../../hss/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import {
  optionalHex,
  optionalInt,
  optionalString,
  requireChoice,
  requireHex,
  requireString,
} from '../../options.js';
import { printJson } from '../../output.js';
import { printView, viewForCli } from './lib/view.js';
import { openFromOptions, STORE_OPTIONS, STORE_USAGE } from './lib/store-options.js';

export const command: Command = {
  summary: 'add a subscriber (Milenage K/OPc or TUAK K/TOPc)',
  usage:
    'ltku hss add --imsi IMSI --algorithm milenage|tuak --k HEX (--opc HEX | --topc HEX)\n' +
    `             [--iccid ICCID] [--key-version N] [--amf HEX] ${STORE_USAGE}`,
  options: {
    ...STORE_OPTIONS,
    imsi: { type: 'string' },
    iccid: { type: 'string' },
    algorithm: { type: 'string' },
    k: { type: 'string' },
    opc: { type: 'string' },
    topc: { type: 'string' },
    'key-version': { type: 'string' },
    amf: { type: 'string' },
  },
  async run(ctx) {
    const imsi = requireString(ctx.values, 'imsi');
    const algorithm = requireChoice(ctx.values, 'algorithm', ['milenage', 'tuak'] as const);
    const k = requireHex(ctx.values, 'k', ...(algorithm === 'milenage' ? [16] : [16, 32]));
    const opc =
      algorithm === 'milenage' ? requireHex(ctx.values, 'opc', 16) : requireHex(ctx.values, 'topc', 32);
    if (ctx.values[algorithm === 'milenage' ? 'topc' : 'opc'] !== undefined) {
      throw new UsageError(
        algorithm === 'milenage'
          ? '--topc is for TUAK; Milenage takes --opc'
          : '--opc is for Milenage; TUAK takes --topc',
      );
    }
    const keys: KeyMaterial = { algorithm, k, opc };
    const iccid = optionalString(ctx.values, 'iccid');
    const keyVersion = optionalInt(ctx.values, 'key-version', undefined, [1, 255]);
    const amf = optionalHex(ctx.values, 'amf', 2);
    const runtime = await openFromOptions(ctx);
    try {
      const view = await runtime.hss.create(
        {
          imsi,
          keys,
          ...(iccid ? { iccid } : {}),
          ...(keyVersion ? { keyVersion } : {}),
          ...(amf ? { amf } : {}),
        },
        'cli',
      );
      if (ctx.values.json) printJson(ctx.stdout, viewForCli(view));
      else printView(ctx.stdout, view);
    } finally {
      k.fill(0);
      opc.fill(0);
      await runtime.close();
    }
    return 0;
  },
};

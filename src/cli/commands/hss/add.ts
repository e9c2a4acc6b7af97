// `ltku hss add`: provisions one subscriber. Keys are taken from options and never printed.
import type { KeyMaterial } from '../../../hss/index.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { computeOpc, computeTopc, TUAK_DEFAULT_PARAMS } from '../../../aka/index.js';
import {
  exactlyOne,
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

/** OPc = OP xor E_K(OP) (TS 35.206 4.1); TOPc from TOP with the default Keccak iterations (TS 35.231 6.2). */
function opcFromOp(algorithm: 'milenage' | 'tuak', k: Uint8Array, op: Uint8Array): Uint8Array {
  try {
    return algorithm === 'milenage'
      ? computeOpc(k, op)
      : computeTopc(k, op, TUAK_DEFAULT_PARAMS.keccakIterations);
  } finally {
    op.fill(0);
  }
}

export const command: Command = {
  summary: 'add a subscriber (Milenage K/OPc or TUAK K/TOPc)',
  usage:
    'ltku hss add --imsi IMSI --algorithm milenage|tuak --k HEX (--opc HEX | --op HEX | --topc HEX | --top HEX)\n' +
    `             [--iccid ICCID] [--key-version N] [--amf HEX] ${STORE_USAGE}\n` +
    '  --op/--top: the operator key; the HSS stores only OPc/TOPc derived from it and K (TS 35.206 4.1, TS 35.231;\n' +
    '  TOPc with 1 Keccak iteration)',
  options: {
    ...STORE_OPTIONS,
    imsi: { type: 'string' },
    iccid: { type: 'string' },
    algorithm: { type: 'string' },
    k: { type: 'string' },
    opc: { type: 'string' },
    topc: { type: 'string' },
    op: { type: 'string' },
    top: { type: 'string' },
    'key-version': { type: 'string' },
    amf: { type: 'string' },
  },
  async run(ctx) {
    const imsi = requireString(ctx.values, 'imsi');
    const algorithm = requireChoice(ctx.values, 'algorithm', ['milenage', 'tuak'] as const);
    const k = requireHex(ctx.values, 'k', ...(algorithm === 'milenage' ? [16] : [16, 32]));
    const [ownOptions, otherOptions] =
      algorithm === 'milenage' ? (['opc', 'op'] as const) : (['topc', 'top'] as const);
    const foreign = (algorithm === 'milenage' ? ['topc', 'top'] : ['opc', 'op']).find(
      (n) => ctx.values[n] !== undefined,
    );
    if (foreign !== undefined) {
      throw new UsageError(
        algorithm === 'milenage'
          ? `--${foreign} is for TUAK; Milenage takes --opc or --op`
          : `--${foreign} is for Milenage; TUAK takes --topc or --top`,
      );
    }
    const given = exactlyOne(ctx.values, [ownOptions, otherOptions]);
    const opLength = algorithm === 'milenage' ? 16 : 32;
    const opc =
      given === 'opc' || given === 'topc'
        ? requireHex(ctx.values, given, opLength)
        : opcFromOp(algorithm, k, requireHex(ctx.values, given, opLength));
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

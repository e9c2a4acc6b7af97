// `ltku aka resync`: resolves an AUTS (TS 33.102 6.3.5): SQN_MS and whether MAC-S verifies.
import { toHex } from '../../../bytes/index.js';
import { resolveAuts, sqnToBytes } from '../../../aka/index.js';
import type { Command } from '../../command.js';
import { requireHex } from '../../options.js';
import { printJson, printTable } from '../../output.js';
import { keyOptions, readFunctions } from './lib/aka-options.js';

export const command: Command = {
  summary: 'resolve an AUTS: print SQN_MS and whether MAC-S is valid',
  usage: [
    'ltku aka resync --alg milenage|tuak --k HEX (--opc|--op|--topc|--top) HEX --rand HEX --auts HEX [--json]',
    '                [--keccak-iterations N] [--mac-bits 64|128|256]   (TUAK; AUTS is 6 bytes + MAC-S)',
    'Exit code 0 whenever AUTS was resolved; macSOk tells whether it is authentic.',
  ].join('\n'),
  options: {
    ...keyOptions,
    rand: { type: 'string' },
    auts: { type: 'string' },
  },
  async run(ctx) {
    const { values } = ctx;
    const { fns } = readFunctions(values);
    const rand = requireHex(values, 'rand', 16);
    const auts = requireHex(values, 'auts', 6 + fns.macLength);
    const { sqnMs, macOk } = resolveAuts(fns, rand, auts);
    const out = { sqnMs: toHex(sqnToBytes(sqnMs)), macSOk: macOk };
    if (values.json === true) printJson(ctx.stdout, out);
    else
      printTable(ctx.stdout, [
        ['SQN_MS', out.sqnMs],
        ['MAC-S', macOk ? 'ok' : 'FAILED (wrong K/OPc or not this RAND)'],
      ]);
    return 0;
  },
};

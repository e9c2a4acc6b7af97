// `ltku demo` (= npm start): the whole key-update flow on loopback. Placeholder until the demo issue lands.
import type { Command } from '../../command.js';

export const command: Command = {
  summary: 'run the whole key-update flow on loopback with embedded defaults',
  usage: 'ltku demo [--json]',
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    ctx.stdout.write('ltku demo: demo not built yet (see the Provisioning Server issue)\n');
    return 0;
  },
};

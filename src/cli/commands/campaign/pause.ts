// `ltku campaign pause`: pause a campaign (no new jobs; jobs already created go on).
import { transitionCommand } from './support/transition.js';

export const command = transitionCommand(
  'pause',
  'pause a campaign (no new jobs; jobs already created go on)',
);

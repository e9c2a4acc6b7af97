// `ltku campaign cancel`: cancel a campaign (waiting subscribers and jobs not yet at the card).
import { transitionCommand } from './support/transition.js';

export const command = transitionCommand(
  'cancel',
  'cancel a campaign (waiting subscribers and jobs not yet at the card)',
);

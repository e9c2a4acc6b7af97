// `ltku campaign resume`: resume a paused campaign.
import { transitionCommand } from './support/transition.js';

export const command = transitionCommand('resume', 'resume a paused campaign');

// `ltku campaign start`: start feeding a created campaign's key updates.
import { transitionCommand } from './support/transition.js';

export const command = transitionCommand('start', "start feeding a created campaign's key updates");

// Builds `ltku` argument lists from a command and its options, so that a test states only the options it sets.
// An option is written `--name value` in the order of the object's keys: true is a bare flag, an array repeats
// the option once a value, and undefined or false leaves it out (a key set to undefined holds its place for a
// caller that spreads a value over it).
import { join } from 'node:path';

export type CliOption = string | number | boolean | readonly (string | number)[] | undefined;
export type CliOptions = Readonly<Record<string, CliOption>>;

/** `command` followed by each option of `options`, in key order. */
export function cliArgs(command: readonly string[], options: CliOptions): string[] {
  const out = [...command];
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || value === false) continue;
    if (value === true) out.push(`--${name}`);
    else if (typeof value === 'object') for (const v of value) out.push(`--${name}`, String(v));
    else out.push(`--${name}`, String(value));
  }
  return out;
}

/** `ltku pki issue` of the OCE certificate in GlobalPlatform form, into `<pki>/oce`. */
export function oceIssueArgs(pki: string, options: CliOptions = {}): string[] {
  return cliArgs(['pki', 'issue'], {
    dir: pki,
    role: 'oce',
    format: 'gp',
    out: join(pki, 'oce'),
    ...options,
  });
}

/** `ltku fleet create` of `cards` cards from `pki` into the fleet file and the bulk personalisation file. */
export function fleetCreateArgs(
  pki: string,
  cards: number,
  out: string,
  inventoryOut: string,
  options: CliOptions = {},
): string[] {
  return cliArgs(['fleet', 'create'], { pki, cards, out, 'inventory-out': inventoryOut, ...options });
}

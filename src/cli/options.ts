// Reading parsed options with errors that name the option (exit code 2), never echoing a secret value.
import { BytesError, fromHex } from '../bytes/index.js';
import type { OptionValues } from './command.js';
import { UsageError } from './errors.js';

export function optionalString(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} takes a value`);
  return v;
}

export function requireString(values: OptionValues, name: string): string {
  const v = optionalString(values, name);
  if (v === undefined || v === '') throw new UsageError(`missing option --${name}`);
  return v;
}

export function optionalHex(
  values: OptionValues,
  name: string,
  ...lengths: number[]
): Uint8Array | undefined {
  const v = optionalString(values, name);
  if (v === undefined) return undefined;
  try {
    return fromHex(v, `--${name}`, ...lengths);
  } catch (e) {
    if (e instanceof BytesError) throw new UsageError(e.message);
    throw e;
  }
}

export function requireHex(values: OptionValues, name: string, ...lengths: number[]): Uint8Array {
  const v = optionalHex(values, name, ...lengths);
  if (v === undefined) throw new UsageError(`missing option --${name}`);
  return v;
}

export function optionalInt(
  values: OptionValues,
  name: string,
  allowed?: readonly number[],
  range?: [min: number, max: number],
): number | undefined {
  const v = optionalString(values, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`--${name}: not a whole number: ${JSON.stringify(v)}`);
  const n = Number(v);
  if (allowed !== undefined && !allowed.includes(n)) {
    throw new UsageError(`--${name}: ${n} is not one of ${allowed.join(', ')}`);
  }
  if (range !== undefined && (n < range[0] || n > range[1])) {
    throw new UsageError(`--${name}: ${n} is outside ${range[0]}..${range[1]}`);
  }
  return n;
}

export function optionalChoice<T extends string>(
  values: OptionValues,
  name: string,
  choices: readonly T[],
): T | undefined {
  const v = optionalString(values, name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) {
    throw new UsageError(`--${name}: ${JSON.stringify(v)} is not one of ${choices.join(', ')}`);
  }
  return v as T;
}

export function requireChoice<T extends string>(
  values: OptionValues,
  name: string,
  choices: readonly T[],
): T {
  const v = optionalChoice(values, name, choices);
  if (v === undefined) throw new UsageError(`missing option --${name} (${choices.join('|')})`);
  return v;
}

/** Exactly one of the named options must be present; returns which. */
export function exactlyOne(values: OptionValues, names: readonly string[]): string {
  const present = names.filter((n) => values[n] !== undefined);
  if (present.length !== 1) {
    throw new UsageError(
      present.length === 0
        ? `one of ${names.map((n) => `--${n}`).join(', ')} is required`
        : `give only one of ${present.map((n) => `--${n}`).join(', ')}`,
    );
  }
  return present[0];
}

/** An http(s) URL option; anything else (e.g. HOST:PORT without a scheme) is a usage error naming the option. */
export function parseHttpUrl(text: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    const hint = /^[^/:]+:[0-9]+/.test(text) ? ` (did you mean http://${text}?)` : '';
    throw new UsageError(`--${name}: expected an http(s) URL, got ${JSON.stringify(text)}${hint}`);
  }
  return text;
}

export function requireHttpUrl(values: OptionValues, name: string): string {
  return parseHttpUrl(requireString(values, name), name);
}

export function optionalHttpUrl(values: OptionValues, name: string): string | undefined {
  const v = optionalString(values, name);
  return v === undefined ? undefined : parseHttpUrl(v, name);
}

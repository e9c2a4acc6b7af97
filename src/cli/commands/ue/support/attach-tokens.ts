// DESIGN.md 7: the attach token a core returned, kept for a later `ltku ue detach` or `ue sync` (another
// process): <data-dir>/ue-attach-tokens.json, mode 0600, keyed by core URL and IMSI. Never printed.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OptionValues } from '../../../command.js';
import { DEFAULT_DATA_DIR, writePrivateFile } from '../../../credentials.js';
import { optionalString } from '../../../options.js';

export const ATTACH_TOKENS_FILE = 'ue-attach-tokens.json';
const FORMAT = 'ltku-ue-attach-tokens/1';

export const ATTACH_TOKEN_OPTIONS = { 'data-dir': { type: 'string' } } as const;
export const ATTACH_TOKEN_USAGE = '[--data-dir DIR]';

interface Entry {
  attachToken: string;
  attachedAt: string;
}

export class AttachTokens {
  readonly #dir: string;
  readonly #path: string;

  constructor(values: OptionValues) {
    this.#dir = resolve(optionalString(values, 'data-dir') ?? DEFAULT_DATA_DIR);
    this.#path = join(this.#dir, ATTACH_TOKENS_FILE);
  }

  get path(): string {
    return this.#path;
  }

  get(coreUrl: string, imsi: string): string | undefined {
    return this.#read()[keyOf(coreUrl, imsi)]?.attachToken;
  }

  set(coreUrl: string, imsi: string, attachToken: string): void {
    const all = this.#read();
    all[keyOf(coreUrl, imsi)] = { attachToken, attachedAt: new Date().toISOString() };
    this.#write(all);
  }

  delete(coreUrl: string, imsi: string): void {
    const all = this.#read();
    if (delete all[keyOf(coreUrl, imsi)]) this.#write(all);
  }

  #read(): Record<string, Entry> {
    try {
      const doc = JSON.parse(readFileSync(this.#path, 'utf8')) as { format?: string; attaches?: unknown };
      if (doc.format === FORMAT && typeof doc.attaches === 'object' && doc.attaches !== null)
        return doc.attaches as Record<string, Entry>;
    } catch {
      // missing or unreadable: no attach known
    }
    return {};
  }

  #write(attaches: Record<string, Entry>): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    writePrivateFile(this.#path, JSON.stringify({ format: FORMAT, attaches }, null, 2) + '\n');
  }
}

function keyOf(coreUrl: string, imsi: string): string {
  let base = coreUrl;
  try {
    const u = new URL(coreUrl);
    base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    // not a URL: the CoreClient will say so
  }
  return `${base} ${imsi}`;
}

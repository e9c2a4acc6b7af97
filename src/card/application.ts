// What the card's OS needs from an application selected by AID (ISO 7816-4 11.1.1, TS 102 221 8.4).
import type { CommandApdu, ResponseApdu } from '../iso7816/index.js';
import type { ElementaryFile } from './files.js';

export interface CardApplication {
  readonly aid: Uint8Array;
  readonly label: string;
  /** Files under the application's ADF (none for the security domain). */
  files(): readonly ElementaryFile[];
  /** Called on SELECT; returns the FCI/FCP the SELECT answers (P2 decides whether it is sent). */
  select(): Uint8Array;
  /** Called when another application or the MF is selected, and on reset. */
  deselect(): void;
  /** Commands other than SELECT / READ BINARY / READ RECORD while the application is selected. */
  process(cmd: CommandApdu): ResponseApdu;
}

// Two CardChannels that let straight-line OCE code (openScp11, Scp11Channel) run over RAM-over-HTTP scripts,
// where a command's response only arrives with the UE's next POST.
import { FixedRandom, type RandomSource } from '../crypto/index.js';
import {
  encodeCommand,
  SW_OK,
  type CardChannel,
  type CommandApdu,
  type ResponseApdu,
} from '../iso7816/index.js';
import { equalBytes } from '../bytes/index.js';
import { openScp11, type Scp11Channel, type Scp11OceParams } from '../gp/index.js';
import { INS_MUTUAL_AUTHENTICATE } from '../gp/constants.js';
import { SessionError } from './errors.js';

/**
 * A channel whose transmit() resolves when the script it was put into comes back: the session takes the
 * commands sent so far (take), sends them as one script, and delivers the R-APDUs from the next POST.
 */
export class ScriptChannel implements CardChannel {
  #sent: { command: CommandApdu; resolve(r: ResponseApdu): void; reject(e: Error): void }[] = [];
  #waiter: (() => void) | undefined;

  transmit(command: CommandApdu): Promise<ResponseApdu> {
    return new Promise((resolve, reject) => {
      this.#sent.push({ command, resolve, reject });
      this.#waiter?.();
    });
  }

  /** Waits until `count` commands are pending and returns them (the next script). */
  async take(count = 1): Promise<CommandApdu[]> {
    while (this.#sent.length < count) {
      await new Promise<void>((resolve) => (this.#waiter = resolve));
      this.#waiter = undefined;
    }
    return this.#sent.map((s) => s.command);
  }

  /** Answers the pending commands in order; those the card did not execute fail. */
  deliver(responses: readonly ResponseApdu[]): void {
    const sent = this.#sent;
    this.#sent = [];
    sent.forEach((s, i) => {
      const r = responses[i];
      if (r === undefined) s.reject(new SessionError('card-answer', 'the card did not execute the command'));
      else s.resolve(r);
    });
  }
}

class DryRunEnd extends Error {}

export interface Scp11Plan {
  /** PERFORM SECURITY OPERATION chain and MUTUAL AUTHENTICATE, as openScp11 sends them. */
  readonly commands: CommandApdu[];
  /**
   * Runs the handshake again on the card's answers, now with PK.SD.ECKA from its verified certificate; the
   * receipt is checked there. Commands after the handshake go to `next`.
   */
  finish(responses: readonly ResponseApdu[], pkSdEcka: Uint8Array, next: CardChannel): Promise<Scp11Channel>;
}

/**
 * Batches the SCP11a handshake with GET DATA BF21 into one script: PK.SD.ECKA only matters once the card has
 * answered MUTUAL AUTHENTICATE, so openScp11 first runs dry (recording its commands and the randomness of
 * ePK.OCE; PSO answered 9000, stopped at MUTUAL AUTHENTICATE), and later runs for real over the card's recorded
 * answers with the same randomness, which reproduces the same commands (checked byte for byte).
 */
export async function planScp11(
  params: Omit<Scp11OceParams, 'pkSdEcka'> & { skOceEcka: NonNullable<Scp11OceParams['skOceEcka']> },
  rng: RandomSource,
): Promise<Scp11Plan> {
  const drawn: Uint8Array[] = [];
  const recording: RandomSource = {
    randomBytes(length) {
      const b = rng.randomBytes(length);
      drawn.push(b.slice());
      return b;
    },
  };
  const commands: CommandApdu[] = [];
  const dryRun: CardChannel = {
    transmit(command) {
      commands.push(command);
      if (command.ins === INS_MUTUAL_AUTHENTICATE) return Promise.reject(new DryRunEnd());
      return Promise.resolve({ data: new Uint8Array(0), sw: SW_OK });
    },
  };
  try {
    // Any point of the curve passes the parameter check; the dry run never computes with it.
    await openScp11(dryRun, { ...params, pkSdEcka: params.skOceEcka.publicKey }, recording);
    throw new SessionError('secure-channel', 'SCP11 dry run ended without MUTUAL AUTHENTICATE');
  } catch (e) {
    if (!(e instanceof DryRunEnd)) throw e;
  }
  return {
    commands,
    async finish(responses, pkSdEcka, next) {
      let at = 0;
      const replay: CardChannel = {
        transmit(command) {
          if (at >= commands.length) return next.transmit(command);
          const expected = commands[at];
          const response = responses[at++];
          if (!equalBytes(encodeCommand(expected), encodeCommand(command))) {
            return Promise.reject(
              new SessionError('secure-channel', 'SCP11 replay diverged from the dry run'),
            );
          }
          if (response === undefined) {
            return Promise.reject(
              new SessionError('card-answer', `the card did not execute handshake command ${at}`),
            );
          }
          return Promise.resolve(response);
        },
      };
      try {
        return await openScp11(replay, { ...params, pkSdEcka }, new FixedRandom(...drawn));
      } finally {
        for (const b of drawn) b.fill(0);
      }
    },
  };
}

// What applications get from the card: the current image, a way to persist a new one, and the capabilities.
import type { RandomSource } from '../crypto/index.js';
import type { StaticSecretCache } from '../gp/scp11/index.js';
import type { VerifiedCertificateCache } from '../pki/index.js';
import type { Clock, Logger } from '../ports/index.js';
import type { CardImage } from './image.js';

export interface CardContext {
  readonly image: CardImage;
  /** Stores `next` atomically and makes it current; on failure throws StatusWordError(6581), nothing changed. */
  commit(next: CardImage): void;
  readonly clock: Clock;
  readonly rng: RandomSource;
  readonly logger: Logger;
  /** Where the ISD remembers ShSs (SCP11a/c) across sessions; default its own. */
  readonly staticSecrets?: StaticSecretCache;
  /** OCE certificate signatures the ISD already verified, across sessions; default its own. */
  readonly verifiedCertificates?: VerifiedCertificateCache;
}

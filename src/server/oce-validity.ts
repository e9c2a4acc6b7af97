// Issue 13: the server refuses to run with an OCE certificate (leaf or issuer) that expires within its safety
// margin, and warns ahead. Pure: certificate chains + an instant + a policy -> a verdict.
import { toHex } from '../bytes/index.js';
import type { Certificate } from '../pki/index.js';

const DAY_MS = 86_400_000;

/** The choices, in one place: refuse within 7 days, warn within 30, check again daily while running. */
export const OCE_VALIDITY_DEFAULTS = {
  minValidityDays: 7,
  warnDays: 30,
  checkIntervalMs: DAY_MS,
} as const;

export interface OceValidityPolicy {
  /** The safety margin: a certificate that expires within this many days is refused (0: only once expired). */
  readonly minValidityDays: number;
  /** A certificate that expires within this many days (and outside the margin) is warned about. */
  readonly warnDays: number;
  /** How often a running server checks again (default OCE_VALIDITY_DEFAULTS.checkIntervalMs). */
  readonly checkIntervalMs?: number;
}

/** One OCE certificate near its end. */
export interface ExpiringCertificate {
  readonly subject: string;
  /** Hex. */
  readonly serial: string;
  /** 'leaf' is CERT.OCE.ECKA; 'issuer' a certificate of its chain. */
  readonly position: 'leaf' | 'issuer';
  readonly notAfter: Date;
  /** Days left, rounded down to a tenth (negative once expired). */
  readonly daysLeft: number;
}

export interface OceValidityVerdict {
  /** 'refuse' if any certificate is inside the margin, else 'warn' if any is inside the warning window. */
  readonly level: 'ok' | 'warn' | 'refuse';
  readonly refused: readonly ExpiringCertificate[];
  readonly warned: readonly ExpiringCertificate[];
  /** The soonest notAfter of all the certificates (undefined with none). */
  readonly earliest?: Date;
}

/** Judges each certificate of each chain (root side first, leaf last) against `policy` at `now`. */
export function judgeOceValidity(
  chains: readonly (readonly Certificate[])[],
  now: Date,
  policy: OceValidityPolicy,
): OceValidityVerdict {
  const refused: ExpiringCertificate[] = [];
  const warned: ExpiringCertificate[] = [];
  const seen = new Set<string>();
  let earliest: Date | undefined;
  for (const chain of chains) {
    chain.forEach((c, i) => {
      const key = `${toHex(c.issuerKeyId ?? new Uint8Array())}:${toHex(c.serial)}`;
      if (seen.has(key)) return; // a CA shared by several chains is reported once
      seen.add(key);
      if (earliest === undefined || c.notAfter < earliest) earliest = c.notAfter;
      const left = c.notAfter.getTime() - now.getTime();
      const entry: ExpiringCertificate = {
        subject: c.subject,
        serial: toHex(c.serial),
        position: i === chain.length - 1 ? 'leaf' : 'issuer',
        notAfter: c.notAfter,
        daysLeft: Math.floor((left * 10) / DAY_MS) / 10,
      };
      if (left <= policy.minValidityDays * DAY_MS) refused.push(entry);
      else if (left <= policy.warnDays * DAY_MS) warned.push(entry);
    });
  }
  const level = refused.length > 0 ? 'refuse' : warned.length > 0 ? 'warn' : 'ok';
  return { level, refused, warned, ...(earliest === undefined ? {} : { earliest }) };
}

/** One line naming the certificate, its notAfter and the limit it is within; never key material. */
export function describeExpiring(c: ExpiringCertificate, withinDays: number, limit: string): string {
  const when = c.daysLeft < 0 ? 'expired' : 'expires';
  return (
    `OCE certificate ${c.subject} serial ${c.serial} (${c.position}) ${when} ${c.notAfter.toISOString()} ` +
    `(${c.daysLeft} days left): within the ${withinDays}-day ${limit}`
  );
}

// Issue 13: the OCE expiry guard: verdicts at the margin and window edges (GP and X.509, leaf and issuer), the
// refusal at start naming the certificate, and the periodic check's log and metrics under an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { curveByName, generateKeyPair, SeededRandom } from '../../src/crypto/index.js';
import {
  decodeCertificate,
  issueGpCertificate,
  issueX509Certificate,
  type Certificate,
} from '../../src/pki/index.js';
import { FixedClock, silentLogger, type Logger } from '../../src/ports/index.js';
import {
  judgeOceValidity,
  OCE_VALIDITY_DEFAULTS,
  OceValidityWatch,
  ServerConfigError,
} from '../../src/server/index.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const curve = curveByName('P-256');
const rng = new SeededRandom('oce-validity');
const ca = generateKeyPair(curve, rng);
const policy = { minValidityDays: 7, warnDays: 30 };

function x509(
  serial: number,
  notAfter: Date,
  keyUsage: 'keyAgreement' | 'signature' = 'keyAgreement',
): Certificate {
  return decodeCertificate(
    issueX509Certificate({
      issuer: ca,
      serial: Uint8Array.of(serial),
      keyUsage,
      notBefore: new Date(NOW.getTime() - DAY_MS),
      notAfter,
      subjectPublicKey: generateKeyPair(curve, rng).publicKey,
      curve,
      subjectName: `OCE ${serial}`,
      issuerName: 'CA-KLOC',
    }),
  );
}

function gp(serial: number, notAfter: Date): Certificate {
  return decodeCertificate(
    issueGpCertificate({
      issuer: ca,
      serial: Uint8Array.of(serial),
      keyUsage: 'keyAgreement',
      notBefore: new Date(NOW.getTime() - DAY_MS),
      notAfter,
      subjectPublicKey: generateKeyPair(curve, rng).publicKey,
      curve,
    }),
  );
}

const inDays = (days: number) => new Date(NOW.getTime() + days * DAY_MS);

function capture(): { logger: Logger; lines: { level: string; obj: object; msg: string }[] } {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push(typeof obj === 'string' ? { level, obj: {}, msg: obj } : { level, obj, msg: msg ?? '' });
    };
  const logger: Logger = { ...silentLogger, warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('OCE expiry guard (judgeOceValidity)', () => {
  it('the defaults are in one place: refuse within 7 days, warn within 30, check daily', () => {
    assert.deepEqual(OCE_VALIDITY_DEFAULTS, { minValidityDays: 7, warnDays: 30, checkIntervalMs: DAY_MS });
  });

  it('x509: ok past the window, warn inside it, refuse at and inside the margin and once expired', () => {
    assert.equal(judgeOceValidity([[x509(1, inDays(31))]], NOW, policy).level, 'ok');
    assert.equal(judgeOceValidity([[x509(2, inDays(30))]], NOW, policy).level, 'warn');
    assert.equal(
      judgeOceValidity([[x509(3, new Date(inDays(7).getTime() + 1000))]], NOW, policy).level,
      'warn',
    );
    assert.equal(judgeOceValidity([[x509(4, inDays(7))]], NOW, policy).level, 'refuse');
    const expired = judgeOceValidity([[x509(5, inDays(-1))]], NOW, policy);
    assert.equal(expired.level, 'refuse');
    assert.equal(expired.refused[0].daysLeft, -1);
    assert.equal(
      judgeOceValidity([[x509(6, inDays(1))]], NOW, { minValidityDays: 0, warnDays: 0 }).level,
      'ok',
    );
  });

  it('gp: 5F24 is valid through its day, so the margin counts from the end of that day', () => {
    // notAfter 2026-06-08 (end of day) is 7 days 12 h after NOW: outside a 7-day margin, inside 8
    const c = gp(7, new Date('2026-06-08T00:00:00Z'));
    assert.equal(c.notAfter.toISOString(), '2026-06-08T23:59:59.999Z');
    assert.equal(judgeOceValidity([[c]], NOW, policy).level, 'warn');
    assert.equal(judgeOceValidity([[c]], NOW, { minValidityDays: 8, warnDays: 30 }).level, 'refuse');
  });

  it('an issuer in the chain counts as much as the leaf; the verdict names which', () => {
    const chain = [x509(8, inDays(3), 'signature'), x509(9, inDays(300))];
    const verdict = judgeOceValidity([chain, [gp(10, inDays(20))]], NOW, policy);
    assert.equal(verdict.level, 'refuse');
    assert.deepEqual(
      verdict.refused.map((c) => [c.serial, c.position]),
      [['08', 'issuer']],
    );
    assert.deepEqual(
      verdict.warned.map((c) => [c.serial, c.position]),
      [['0a', 'leaf']],
    );
    assert.equal(verdict.earliest?.getTime(), inDays(3).getTime());
  });
});

describe('OCE expiry guard (OceValidityWatch)', () => {
  it('refuses at start with the certificate, its notAfter and the margin', () => {
    const watch = new OceValidityWatch([[x509(11, inDays(5))]], policy, new FixedClock(NOW), silentLogger);
    assert.throws(
      () => watch.checkAtStart(),
      (e: Error) =>
        e instanceof ServerConfigError &&
        /serial 0b \(leaf\)/.test(e.message) &&
        e.message.includes(inDays(5).toISOString()) &&
        /7-day safety margin/.test(e.message),
    );
  });

  it('warns at start inside the window; later a periodic check logs an error and counts an alarm', async () => {
    const clock = new FixedClock(NOW);
    const { logger, lines } = capture();
    const registry = new Registry();
    const watch = new OceValidityWatch([[x509(12, inDays(20))]], policy, clock, logger, registry);
    assert.equal(watch.checkAtStart().level, 'warn');
    assert.deepEqual(
      lines.map((l) => l.level),
      ['warn'],
    );
    assert.match(lines[0].msg, /serial 0c .*30-day warning window/);
    assert.equal(watch.checkRunning().level, 'warn');
    assert.equal(watch.alarms, 0);
    clock.advance(14 * DAY_MS);
    assert.equal(watch.checkRunning().level, 'refuse');
    assert.equal(watch.alarms, 1);
    const error = lines.find((l) => l.level === 'error');
    assert.ok(error, 'no error logged');
    assert.match(error.msg, /serial 0c .*6 days left.*7-day safety margin/);
    const text = await registry.metrics();
    assert.match(text, /^ltku_server_oce_expiry_alarms_total 1$/m);
    assert.match(text, new RegExp(`^ltku_server_oce_certificate_expiry_seconds ${6 * 86_400}$`, 'm'));
    watch.start(); // unref'd: does not keep the test process alive
    watch.stop();
  });
});

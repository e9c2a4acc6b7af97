// The auth layer (DESIGN.md 7): tokens `ltku1.<name>.<64 hex>` verified against SHA-256 hashes, the principals
// file codec (hashes only), the Authorization header, the table a service authenticates with, and the reloading
// file authenticator of the serve commands (a revocation takes effect without a restart; a broken file fails closed).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthError,
  bearerToken,
  checkPrincipalName,
  decodePrincipalsFile,
  DEFAULT_PRINCIPALS,
  encodePrincipalsFile,
  issueCredentials,
  issueToken,
  parseToken,
  PrincipalTable,
  secretMatches,
  tokenName,
} from '../../src/auth/index.js';
import { SeededRandom, sha256 } from '../../src/crypto/index.js';
import {
  issueInto,
  PrincipalsFileAuthenticator,
  revokeFrom,
  writePrincipals,
} from '../../src/cli/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('bearer tokens', () => {
  it('issues ltku1.<name>.<64 hex> from the rng, keeps SHA-256 of the secret, verifies in constant time', () => {
    const { token, secretHash } = issueToken('operator', new SeededRandom('t1'));
    assert.match(token, /^ltku1\.operator\.[0-9a-f]{64}$/);
    const parsed = parseToken(token)!;
    assert.equal(parsed.name, 'operator');
    assert.deepEqual(secretHash, sha256(parsed.secret));
    assert.equal(secretMatches(parsed.secret, secretHash), true);
    const other = issueToken('operator', new SeededRandom('t2'));
    assert.notEqual(other.token, token);
    assert.equal(secretMatches(parsed.secret, other.secretHash), false);
    assert.equal(tokenName(`${token}\n`), 'operator');
  });

  it('refuses malformed tokens and names', () => {
    for (const bad of [
      '',
      'ltku1.operator',
      'ltku2.operator.' + '0'.repeat(64),
      'ltku1.op.erator.' + '0'.repeat(64),
      'ltku1.operator.' + 'G'.repeat(64),
      'ltku1.operator.' + '0'.repeat(63),
    ])
      assert.equal(parseToken(bad), undefined, bad);
    for (const bad of ['', 'a.b', '-x', 'x'.repeat(33), 'name with space'])
      assert.throws(() => checkPrincipalName(bad), AuthError, bad);
    assert.equal(checkPrincipalName('night-shift_2'), 'night-shift_2');
  });

  it('reads the Authorization header: Bearer (any case) and one token, nothing else', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer abc'), 'abc');
    for (const bad of [undefined, '', 'Bearer', 'Basic abc', 'Bearer a b', 'Bearerabc'])
      assert.equal(bearerToken(bad), undefined, String(bad));
  });
});

describe('principals file and table', () => {
  it('round-trips hashes only, and refuses what it cannot trust', () => {
    const issued = issueCredentials(DEFAULT_PRINCIPALS, new SeededRandom('file'), '2030-01-01T00:00:00Z');
    const text = encodePrincipalsFile(issued.records);
    for (const token of issued.tokens.values()) assert.equal(text.includes(token.split('.')[2]), false);
    assert.deepEqual(decodePrincipalsFile(text), issued.records);
    const doc = JSON.parse(text);
    const broken = (f: (d: any) => void) => {
      const d = JSON.parse(text);
      f(d);
      return JSON.stringify(d);
    };
    for (const [why, bad] of [
      ['not JSON', '{'],
      ['format', broken((d) => (d.format = 'other/1'))],
      ['role', broken((d) => (d.principals[0].role = 'root'))],
      ['hash', broken((d) => (d.principals[0].sha256 = 'abcd'))],
      ['name', broken((d) => (d.principals[0].name = 'a.b'))],
      ['twice', broken((d) => d.principals.push(d.principals[0]))],
    ] as const)
      assert.throws(() => decodePrincipalsFile(bad, 'f.json'), /^AuthError: f\.json/, why);
    assert.equal(doc.principals.length, 3);
  });

  it('authenticates the holder of a token, not a forged, renamed or revoked one', () => {
    const issued = issueCredentials(
      [...DEFAULT_PRINCIPALS, { name: 'alice', role: 'operator' }],
      new SeededRandom('table'),
      'now',
    );
    const table = new PrincipalTable(issued.records);
    const alice = issued.tokens.get('alice')!;
    assert.deepEqual(table.authenticate(`Bearer ${alice}`), { name: 'alice', role: 'operator' });
    assert.deepEqual(table.authenticate(`Bearer ${issued.tokens.get('core')}`), {
      name: 'core',
      role: 'core',
    });
    const secret = alice.split('.')[2];
    const flipped = secret.slice(0, -1) + (secret.endsWith('0') ? '1' : '0');
    for (const bad of [
      `Bearer ltku1.alice.${flipped}`,
      `Bearer ltku1.operator.${secret}`,
      `Bearer ltku1.mallory.${secret}`,
      `Basic ${alice}`,
      undefined,
    ])
      assert.equal(table.authenticate(bad), undefined, String(bad));
    table.replace(issued.records.filter((r) => r.name !== 'alice'));
    assert.equal(table.authenticate(`Bearer ${alice}`), undefined);
    assert.deepEqual(
      table.principals.map((p) => p.name),
      ['operator', 'provisioner', 'core'],
    );
  });
});

describe('PrincipalsFileAuthenticator (the serve commands)', () => {
  it('sees a new principal and a revocation without a restart; a broken file authenticates nobody', () => {
    const creds = join(dir, 'reload');
    const [operatorFile] = issueInto(creds, [DEFAULT_PRINCIPALS[0]], new SeededRandom('r1'));
    const events: { principals?: number; error?: string }[] = [];
    const auth = new PrincipalsFileAuthenticator(creds, (e) => events.push(e), 0);
    const operator = `Bearer ${readFileSync(operatorFile, 'utf8').trim()}`;
    assert.equal(auth.authenticate(operator)?.name, 'operator');
    const [bobFile] = issueInto(creds, [{ name: 'bob', role: 'provisioner' }], new SeededRandom('r2'));
    const bob = `Bearer ${readFileSync(bobFile, 'utf8').trim()}`;
    assert.deepEqual(auth.authenticate(bob), { name: 'bob', role: 'provisioner' });
    assert.equal(revokeFrom(creds, 'bob'), true);
    assert.equal(auth.authenticate(bob), undefined, 'revoked');
    assert.equal(auth.authenticate(operator)?.name, 'operator');
    writeFileSync(join(creds, 'principals.json'), '{"format":', { mode: 0o600 });
    assert.equal(auth.authenticate(operator), undefined, 'fails closed');
    assert.ok(events.some((e) => e.error !== undefined));
    writePrincipals(creds, []);
    assert.equal(auth.authenticate(operator), undefined);
    for (const e of events) assert.equal(JSON.stringify(e).includes(operator.slice(-64)), false);
  });

  it('stats the file at most once per period', () => {
    const creds = join(dir, 'period');
    const [file] = issueInto(creds, [DEFAULT_PRINCIPALS[0]], new SeededRandom('p1'));
    const operator = `Bearer ${readFileSync(file, 'utf8').trim()}`;
    const auth = new PrincipalsFileAuthenticator(creds, () => {}, 60_000);
    assert.equal(auth.authenticate(operator)?.name, 'operator');
    revokeFrom(creds, 'operator');
    assert.equal(auth.authenticate(operator)?.name, 'operator', 'not re-read within the period');
    assert.throws(
      () => new PrincipalsFileAuthenticator(join(dir, 'none')),
      /cannot use .*principals\.json: ENOENT/,
    );
  });
});

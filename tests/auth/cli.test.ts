// `ltku auth init|issue|revoke|list` (DESIGN.md 7): credentials an operator creates and revokes. Tokens go to
// 0600 files and are never printed; principals.json (0600) keeps only their SHA-256.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePrincipalsFile, PrincipalTable } from '../../src/auth/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-auth-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe('ltku auth', () => {
  const creds = join(dir, 'data', 'credentials');
  const token = (name: string) => readFileSync(join(creds, `${name}.token`), 'utf8').trim();
  const table = () =>
    new PrincipalTable(decodePrincipalsFile(readFileSync(join(creds, 'principals.json'), 'utf8')));
  const outputs: string[] = [];
  const ltku = async (args: string[]) => {
    const r = await runCli(args);
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  it('init: one principal per role, token files and principals.json 0600, no token printed', async () => {
    const r = await ltku(['auth', 'init', '--data-dir', join(dir, 'data')]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['principals.json', 'operator.token', 'provisioner.token', 'core.token'])
      assert.equal(mode(join(creds, f)), 0o600, f);
    assert.equal(mode(creds), 0o700);
    for (const name of ['operator', 'provisioner', 'core']) {
      assert.match(token(name), new RegExp(`^ltku1\\.${name}\\.[0-9a-f]{64}$`));
      assert.deepEqual(table().authenticate(`Bearer ${token(name)}`), { name, role: name });
      assert.match(r.stdout, new RegExp(`${name}.*${name}\\.token`));
    }
    const again = await ltku(['auth', 'init', '--credentials', creds]);
    assert.equal(again.code, 2, 'init does not overwrite credentials');
    assert.match(again.stderr, /exists/);
  });

  it('issue: a new principal with a role, its token in a 0600 file; --replace rotates it', async () => {
    const r = await ltku([
      'auth',
      'issue',
      '--credentials',
      creds,
      '--name',
      'night-shift',
      '--role',
      'operator',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const file = join(creds, 'night-shift.token');
    assert.equal(mode(file), 0o600);
    assert.match(r.stdout, /night-shift.*night-shift\.token/);
    const first = token('night-shift');
    assert.deepEqual(table().authenticate(`Bearer ${first}`), { name: 'night-shift', role: 'operator' });
    const dup = await ltku([
      'auth',
      'issue',
      '--credentials',
      creds,
      '--name',
      'night-shift',
      '--role',
      'core',
    ]);
    assert.equal(dup.code, 2);
    const out = join(dir, 'elsewhere.token');
    const rotated = await ltku([
      'auth',
      'issue',
      '--credentials',
      creds,
      '--name',
      'night-shift',
      '--role',
      'core',
      '--replace',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal(JSON.parse(rotated.stdout).tokenFile, out);
    assert.equal(mode(out), 0o600);
    assert.equal(table().authenticate(`Bearer ${first}`), undefined, 'the old token no longer works');
    const second = readFileSync(out, 'utf8').trim();
    assert.deepEqual(table().authenticate(`Bearer ${second}`), { name: 'night-shift', role: 'core' });
    for (const [args, option] of [
      [['--name', 'x', '--role', 'root'], '--role'],
      [['--name', 'a.b', '--role', 'core'], '--name'],
      [['--role', 'core'], '--name'],
    ] as const) {
      const bad = await ltku(['auth', 'issue', '--credentials', creds, ...args]);
      assert.equal(bad.code, 2, args.join(' '));
      assert.match(bad.stderr, new RegExp(option));
    }
  });

  it('list shows names and roles (never hashes); revoke removes the principal and its token file', async () => {
    const list = await ltku(['auth', 'list', '--credentials', creds, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).principals.map((p: { name: string; role: string }) => [p.name, p.role]),
      [
        ['operator', 'operator'],
        ['provisioner', 'provisioner'],
        ['core', 'core'],
        ['night-shift', 'core'],
      ],
    );
    const hashes = JSON.parse(readFileSync(join(creds, 'principals.json'), 'utf8')).principals.map(
      (p: { sha256: string }) => p.sha256,
    );
    for (const h of hashes) assert.equal(list.stdout.includes(h), false);
    const operator = token('operator');
    const revoked = await ltku(['auth', 'revoke', 'operator', '--credentials', creds]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(existsSync(join(creds, 'operator.token')), false);
    assert.equal(table().authenticate(`Bearer ${operator}`), undefined);
    assert.equal(mode(join(creds, 'principals.json')), 0o600, 'still 0600 after a rewrite');
    const unknown = await ltku(['auth', 'revoke', 'operator', '--credentials', creds]);
    assert.equal(unknown.code, 2);
    const table2 = await ltku(['auth', 'list', '--credentials', creds]);
    assert.match(table2.stdout, /3 principals/);
    const none = await ltku(['auth', 'list', '--credentials', join(dir, 'none')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no credentials in .*ltku auth init/);
    // Nothing any auth command printed carries a token.
    const all = outputs.join('\n');
    for (const t of [operator, token('provisioner'), token('core')])
      assert.equal(all.includes(t.split('.')[2]), false);
  });
});

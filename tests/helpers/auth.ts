// Credentials for tests (DESIGN.md 7): one principal per role (named after it) plus any extras, issued from a
// seeded source; an HSS client that calls each operation with the role it needs.
import {
  DEFAULT_PRINCIPALS,
  issueCredentials,
  PrincipalTable,
  type Principal,
  type PrincipalRecord,
} from '../../src/auth/index.js';
import { SeededRandom } from '../../src/crypto/index.js';
import { HssClient, type HssClientOptions } from '../../src/hss/client/index.js';

export interface TestAuth {
  readonly authenticator: PrincipalTable;
  /** The token of a principal (default principals: 'operator', 'provisioner', 'core'). */
  token(name: string): string;
  /** `{ authorization: 'Bearer <token>' }` for fetch/inject. */
  bearer(name: string): Record<string, string>;
  /** Removes the principal from the table (as `ltku auth revoke` does from principals.json). */
  revoke(name: string): void;
}

export function testAuth(seed = 'test-auth', extra: readonly Principal[] = []): TestAuth {
  const issued = issueCredentials(
    [...DEFAULT_PRINCIPALS, ...extra],
    new SeededRandom(seed),
    '2030-01-01T00:00:00Z',
  );
  let records: PrincipalRecord[] = issued.records;
  const authenticator = new PrincipalTable(records);
  const token = (name: string) => {
    const t = issued.tokens.get(name);
    if (t === undefined) throw new Error(`no test principal ${name}`);
    return t;
  };
  return {
    authenticator,
    token,
    bearer: (name) => ({ authorization: `Bearer ${token(name)}` }),
    revoke(name) {
      records = records.filter((r) => r.name !== name);
      authenticator.replace(records);
    },
  };
}

/** An HssClient for tests: vectors and auth events as core, the transition as provisioner, the rest as operator. */
export class AllRolesHssClient extends HssClient {
  readonly #core: HssClient;
  readonly #provisioner: HssClient;

  constructor(url: string, auth: TestAuth, options: HssClientOptions = {}) {
    super(url, { ...options, token: auth.token('operator') });
    this.#core = new HssClient(url, { ...options, token: auth.token('core') });
    this.#provisioner = new HssClient(url, { ...options, token: auth.token('provisioner') });
  }

  override generateAuthData(...a: Parameters<HssClient['generateAuthData']>) {
    return this.#core.generateAuthData(...a);
  }
  override generateEpsAuthData(...a: Parameters<HssClient['generateEpsAuthData']>) {
    return this.#core.generateEpsAuthData(...a);
  }
  override reportAuthEvent(...a: Parameters<HssClient['reportAuthEvent']>) {
    return this.#core.reportAuthEvent(...a);
  }
  override stageCandidate(...a: Parameters<HssClient['stageCandidate']>) {
    return this.#provisioner.stageCandidate(...a);
  }
  override commitCandidate(...a: Parameters<HssClient['commitCandidate']>) {
    return this.#provisioner.commitCandidate(...a);
  }
  override abortCandidate(...a: Parameters<HssClient['abortCandidate']>) {
    return this.#provisioner.abortCandidate(...a);
  }
  override close(): void {
    super.close();
    this.#core.close();
    this.#provisioner.close();
  }
}

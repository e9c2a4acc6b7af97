// Each certificate and channel failure of issue 3 as its own test, plus the card's status words of DESIGN.md 4.3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, tlv, toHex } from '../../src/bytes/index.js';
import { P256, P384, SeededRandom, generateKeyPair } from '../../src/crypto/index.js';
import {
  INS_INTERNAL_AUTHENTICATE,
  INS_MUTUAL_AUTHENTICATE,
  KID_SCP11A,
  KID_SCP11B,
  KID_SCP11C,
  SecureChannelError,
  encodeControlReference,
  openScp11,
  performSecurityOperationCommands,
  type Scp11OceParams,
  type Scp11SecurityDomainOptions,
} from '../../src/gp/index.js';
import {
  ChainingChannel,
  GetResponseChannel,
  SW_OK,
  StatusWordError,
  type CommandApdu,
  type ResponseApdu,
} from '../../src/iso7816/index.js';
import { FixedClock } from '../../src/ports/index.js';
import { CA_KLOC_KVN, SD_KVN, issueOce, pkiFor, securityDomain, type Pki } from './helpers/fixtures.js';
import { echoResponse, oceParams } from './helpers/oce.js';
import { Relay, TestCard } from './helpers/test-card.js';

const rng = () => new SeededRandom('failures');
const echo = (plain: CommandApdu): ResponseApdu => ({
  data: echoResponse(plain.data, plain.p1, plain.p2),
  sw: SW_OK,
});

function setup(
  pki: Pki = pkiFor(P256),
  sdOptions: Partial<Scp11SecurityDomainOptions> = {},
  extended = true,
) {
  const sd = securityDomain(pki, sdOptions);
  const card = new TestCard(sd, { extended, app: echo });
  const relay = new Relay(card);
  const transport = extended
    ? new GetResponseChannel(relay)
    : new GetResponseChannel(new ChainingChannel(relay));
  return { pki, sd, card, relay, transport };
}

async function rejectsWithSw(promise: Promise<unknown>, sw: number): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof StatusWordError && e.sw === sw);
}

const flip = (bytes: Uint8Array, at: number, mask = 0x01): Uint8Array => {
  const out = Uint8Array.from(bytes);
  out[at < 0 ? out.length + at : at] ^= mask;
  return out;
};

describe('certificate failures (card answers PSO with 6982, the OCE gets StatusWordError)', () => {
  const pki = pkiFor(P256);
  const other = generateKeyPair(P256, new SeededRandom('other CA'));

  it('unknown or untrusted CA', async () => {
    const { transport } = setup();
    const cert = issueOce(other, pki.oce);
    await rejectsWithSw(
      openScp11(transport, oceParams(pki, 'a', 16, { oceCertificates: [cert] }), rng()),
      0x6982,
    );
  });

  it('bad signature', async () => {
    const { transport } = setup();
    // The last byte belongs to the DER signature's s: still well-formed, no longer valid.
    const cert = flip(pki.oceCertificate, -1);
    await rejectsWithSw(
      openScp11(transport, oceParams(pki, 'a', 16, { oceCertificates: [cert] }), rng()),
      0x6982,
    );
  });

  it('expired', async () => {
    const { transport } = setup(pki, { clock: new FixedClock(new Date('2050-06-01T00:00:00Z')) });
    await rejectsWithSw(openScp11(transport, oceParams(pki, 'a'), rng()), 0x6982);
  });

  it('not yet valid', async () => {
    const { transport } = setup(pki, { clock: new FixedClock(new Date('2023-06-01T00:00:00Z')) });
    await rejectsWithSw(openScp11(transport, oceParams(pki, 'c'), rng()), 0x6982);
  });

  it('wrong key usage (a signature certificate as CERT.OCE.ECKA)', async () => {
    const { transport } = setup();
    const cert = issueOce(pki.caKloc, pki.oce, { keyUsage: 'signature' });
    await rejectsWithSw(
      openScp11(transport, oceParams(pki, 'a', 16, { oceCertificates: [cert] }), rng()),
      0x6982,
    );
  });

  it('revoked serial (card deny list)', async () => {
    const { transport } = setup(pki, { denyList: [pki.oceSerial] });
    await rejectsWithSw(openScp11(transport, oceParams(pki, 'a'), rng()), 0x6982);
  });

  it('malformed certificate: the card answers 6A80 (the OCE refuses to send it at all)', async () => {
    const cert = Uint8Array.of(0x7f, 0x21, 0x03, 0x93, 0x01, 0x01);
    const sd = securityDomain(pki);
    const [pso] = performSecurityOperationCommands([cert], { kid: 0x10, kvn: CA_KLOC_KVN });
    assert.throws(
      () => sd.performSecurityOperation(pso),
      (e: unknown) => e instanceof StatusWordError && e.sw === 0x6a80,
    );
    const { transport, card } = setup();
    await assert.rejects(
      openScp11(transport, oceParams(pki, 'a', 16, { oceCertificates: [cert] }), rng()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'parameters',
    );
    assert.equal(card.received.length, 0);
  });

  it('unknown CA-KLOC key reference: 6A88', async () => {
    const { transport } = setup();
    const params = oceParams(pki, 'a', 16, { caKlocReference: { kid: 0x10, kvn: 0x7e } });
    await rejectsWithSw(openScp11(transport, params, rng()), 0x6a88);
  });

  it('curve mismatch: CERT.OCE.ECKA on P-384, card key set on P-256', () => {
    const sd = securityDomain(pki, { caKloc: [pki.caKlocAnchor, pkiFor(P384).caKlocAnchor] });
    const p384 = pkiFor(P384);
    for (const pso of performSecurityOperationCommands([p384.oceCertificate], {
      kid: 0x10,
      kvn: CA_KLOC_KVN,
    })) {
      assert.equal(sd.performSecurityOperation(pso).sw, SW_OK);
    }
    const epk = generateKeyPair(P256, rng()).publicKey;
    const ma = authenticateCommand(INS_MUTUAL_AUTHENTICATE, KID_SCP11A, 'a', 16, epk);
    assert.throws(
      () => sd.authenticate(ma),
      (e: unknown) => e instanceof StatusWordError && e.sw === 0x6982,
    );
  });

  it('a whole chain (self-signed root, intermediate, leaf) is accepted, in ISO-chained blocks', async () => {
    const { transport, card } = setup(pki, {}, false);
    const intermediate = generateKeyPair(P256, new SeededRandom('intermediate'));
    const chain = [
      issueOce(pki.caKloc, pki.caKloc, { keyUsage: 'signature', serial: Uint8Array.of(1) }),
      issueOce(pki.caKloc, intermediate, { keyUsage: 'signature', serial: Uint8Array.of(2) }),
      issueOce(intermediate, pki.oce, { serial: Uint8Array.of(3) }),
    ];
    const scp = await openScp11(transport, oceParams(pki, 'a', 16, { oceCertificates: chain }), rng());
    const data = new Uint8Array(700).fill(0x42);
    const r = await scp.transmit({ cla: 0x80, ins: 0xe2, p1: 250, p2: 1, data, ne: 256 });
    assert.equal(toHex(r.data), toHex(echoResponse(data, 250, 1)));
    assert.ok(card.chainedBlocks >= 2, 'the 700-byte command travelled ISO-chained');
    assert.ok(card.getResponses >= 1, 'the long response came with 61xx / GET RESPONSE');
  });

  it('a chain abandoned half-way is dropped by the next authenticate, so a fresh attempt succeeds', async () => {
    const { transport, sd } = setup(pki, {}, false);
    const intermediate = generateKeyPair(P256, new SeededRandom('intermediate'));
    const first = issueOce(pki.caKloc, intermediate, { keyUsage: 'signature', serial: Uint8Array.of(2) });
    // Certificate 1 of 2 (P2 b8: more follow), then the OCE gives up and authenticates.
    const [pso] = performSecurityOperationCommands([first, pki.oceCertificate], {
      kid: 0x10,
      kvn: CA_KLOC_KVN,
    });
    assert.equal(sd.performSecurityOperation(pso).sw, 0x9000);
    const epk = generateKeyPair(P256, rng()).publicKey;
    assert.throws(
      () => sd.authenticate(authenticateCommand(INS_MUTUAL_AUTHENTICATE, KID_SCP11A, 'a', 16, epk)),
      (e: unknown) => e instanceof StatusWordError && e.sw === 0x6982,
    );
    const scp = await openScp11(transport, oceParams(pki, 'a', 16), rng());
    assert.equal(scp.closed, false);
  });
});

function authenticateCommand(
  ins: number,
  kid: number,
  variant: 'a' | 'b' | 'c',
  aes: 16 | 24 | 32,
  epk: Uint8Array,
): CommandApdu {
  return {
    cla: 0x80,
    ins,
    p1: SD_KVN,
    p2: kid,
    data: concatBytes(encodeControlReference(variant, aes), tlv(0x5f49, epk)),
    ne: 256,
  };
}

describe('handshake status words (DESIGN.md 4.3)', () => {
  const pki = pkiFor(P256);
  const epk = generateKeyPair(P256, new SeededRandom('epk')).publicKey;
  const sw = (f: () => unknown, expected: number) =>
    assert.throws(f, (e: unknown) => e instanceof StatusWordError && e.sw === expected);

  it('AES key length below the card minimum: 6985', async () => {
    const { transport } = setup(pki, { minAesKeyLength: 32 });
    await rejectsWithSw(openScp11(transport, oceParams(pki, 'b', 16), rng()), 0x6985);
    await rejectsWithSw(
      openScp11(setup(pki, { minAesKeyLength: 32 }).transport, oceParams(pki, 'a', 24), rng()),
      0x6985,
    );
    await openScp11(setup(pki, { minAesKeyLength: 32 }).transport, oceParams(pki, 'a', 32), rng());
  });

  it('curve not allowed by the card: 6985', () => {
    const sd = securityDomain(pki, { curves: [P384] });
    sw(
      () => sd.authenticate(authenticateCommand(INS_INTERNAL_AUTHENTICATE, KID_SCP11B, 'b', 16, epk)),
      0x6985,
    );
  });

  it('unknown KVN or KID: 6A88', () => {
    const sd = securityDomain(pki);
    sw(
      () =>
        sd.authenticate({
          ...authenticateCommand(INS_INTERNAL_AUTHENTICATE, KID_SCP11B, 'b', 16, epk),
          p1: 0x33,
        }),
      0x6a88,
    );
    sw(() => sd.authenticate(authenticateCommand(INS_MUTUAL_AUTHENTICATE, 0x17, 'a', 16, epk)), 0x6a88);
  });

  it('MUTUAL AUTHENTICATE with KID 13, INTERNAL AUTHENTICATE with KID 11 or 15: 6A86', () => {
    const sd = securityDomain(pki);
    sw(() => sd.authenticate(authenticateCommand(INS_MUTUAL_AUTHENTICATE, KID_SCP11B, 'b', 16, epk)), 0x6a86);
    sw(
      () => sd.authenticate(authenticateCommand(INS_INTERNAL_AUTHENTICATE, KID_SCP11A, 'a', 16, epk)),
      0x6a86,
    );
    sw(
      () => sd.authenticate(authenticateCommand(INS_INTERNAL_AUTHENTICATE, KID_SCP11C, 'c', 16, epk)),
      0x6a86,
    );
  });

  it('SCP11a without a verified OCE certificate: 6982', () => {
    const sd = securityDomain(pki);
    sw(() => sd.authenticate(authenticateCommand(INS_MUTUAL_AUTHENTICATE, KID_SCP11A, 'a', 16, epk)), 0x6982);
  });

  it('malformed data, wrong i parameter, point not on the curve: 6A80', () => {
    const sd = securityDomain(pki);
    const ia = authenticateCommand(INS_INTERNAL_AUTHENTICATE, KID_SCP11B, 'b', 16, epk);
    sw(() => sd.authenticate({ ...ia, data: ia.data.subarray(0, 20) }), 0x6a80);
    sw(
      () => sd.authenticate(authenticateCommand(INS_INTERNAL_AUTHENTICATE, KID_SCP11B, 'a', 16, epk)),
      0x6a80,
    );
    sw(
      () =>
        sd.authenticate(authenticateCommand(INS_INTERNAL_AUTHENTICATE, KID_SCP11B, 'b', 16, flip(epk, -1))),
      0x6a80,
    );
    assert.equal(sd.session, undefined);
  });

  it('receipt mismatch: the card does not hold the key the OCE trusts', async () => {
    const { transport } = setup();
    const wrongPk = generateKeyPair(P256, new SeededRandom('not the card')).publicKey;
    await assert.rejects(
      openScp11(transport, oceParams(pki, 'a', 16, { pkSdEcka: wrongPk }), rng()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'receipt',
    );
  });

  it('receipt mismatch: a relay alters the receipt', async () => {
    const { transport, relay } = setup();
    relay.onResponse = (r) => (r.data.length === 3 + 65 + 18 ? { data: flip(r.data, -1), sw: r.sw } : r);
    await assert.rejects(
      openScp11(transport, oceParams(pki, 'b'), rng()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'receipt',
    );
  });

  it('SCP11c: a card key in 5F49 other than PK.SD.ECKA is refused', async () => {
    const { transport, relay } = setup();
    const other = generateKeyPair(P256, new SeededRandom('swap')).publicKey;
    relay.onResponse = (r) =>
      r.data.length === 3 + 65 + 18
        ? { data: concatBytes(tlv(0x5f49, other), r.data.subarray(68)), sw: r.sw }
        : r;
    await assert.rejects(
      openScp11(transport, oceParams(pki, 'c'), rng()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'malformed',
    );
  });

  it('OCE parameters are checked before anything is sent', async () => {
    const { transport, card } = setup();
    const bad: Partial<Scp11OceParams>[] = [
      { aesKeyLength: 20 as 16 },
      { skOceEcka: undefined },
      { oceCertificates: [] },
      { kvn: 300 },
      { macLength: 4 as 8 },
      { oceCertificates: [pkiFor(P384).oceCertificate] },
      { oceCertificates: [Uint8Array.of(1, 2, 3)] },
    ];
    for (const extra of bad) {
      await assert.rejects(
        openScp11(transport, oceParams(pki, 'a', 16, extra), rng()),
        (e: unknown) => e instanceof SecureChannelError && e.reason === 'parameters',
      );
    }
    assert.equal(card.received.length, 0);
  });
});

describe('secure messaging failures', () => {
  const pki = pkiFor(P256);
  const command = (data: Uint8Array = Uint8Array.of(1, 2, 3)): CommandApdu => ({
    cla: 0x80,
    ins: 0xe2,
    p1: 4,
    p2: 5,
    data,
    ne: 256,
  });

  async function open(variant: 'a' | 'b' = 'a') {
    const s = setup(pki);
    const scp = await openScp11(s.transport, oceParams(pki, variant), rng());
    return { ...s, scp };
  }

  it('C-MAC tampered: 6982 and the card ends the session', async () => {
    const { scp, relay, sd } = await open();
    relay.onCommand = (c) => ({ ...c, data: flip(c.data, -1) });
    assert.equal((await scp.transmit(command())).sw, 0x6982);
    assert.equal(sd.session, undefined);
    relay.onCommand = (c) => c;
    assert.equal((await scp.transmit(command())).sw, 0x6982, 'no session any more');
  });

  it('flipped ciphertext bit in a command: 6982', async () => {
    const { scp, relay, sd } = await open();
    relay.onCommand = (c) => ({ ...c, data: flip(c.data, 0, 0x80) });
    assert.equal((await scp.transmit(command())).sw, 0x6982);
    assert.equal(sd.session, undefined);
  });

  it('R-MAC tampered: the OCE throws and closes the channel', async () => {
    const { scp, relay } = await open();
    relay.onResponse = (r) => ({ data: flip(r.data, -1), sw: r.sw });
    await assert.rejects(
      scp.transmit(command()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'r-mac',
    );
    assert.ok(scp.closed);
    relay.onResponse = (r) => r;
    await assert.rejects(
      scp.transmit(command()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'closed',
    );
  });

  it('flipped ciphertext bit in a response: R-MAC failure', async () => {
    const { scp, relay } = await open();
    relay.onResponse = (r) => ({ data: flip(r.data, 0), sw: r.sw });
    await assert.rejects(
      scp.transmit(command()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'r-mac',
    );
  });

  it('a replayed wrapped command is refused', async () => {
    const { scp, relay, card } = await open();
    let captured: CommandApdu | undefined;
    relay.onCommand = (c) => (captured = c);
    assert.equal((await scp.transmit(command())).sw, SW_OK);
    assert.equal(card.received.length, 1);
    assert.equal((await relay.inner.transmit(captured!)).sw, 0x6982, 'the same bytes again');
    assert.equal(card.received.length, 1);
  });

  it('reordered wrapped commands are refused', async () => {
    const { scp, relay, card } = await open();
    const held: CommandApdu[] = [];
    // The relay holds the first command and fakes an error SW, which travels without R-MAC (DESIGN.md 4.3) ...
    relay.onCommand = (c) => (held.push(c), { data: new Uint8Array(0), sw: 0x6f00 });
    assert.equal((await scp.transmit(command(Uint8Array.of(1)))).sw, 0x6f00);
    relay.onCommand = (c) => c;
    // ... then the second arrives at the card first: its MAC chains on the first one.
    assert.equal((await scp.transmit(command(Uint8Array.of(2)))).sw, 0x6982);
    assert.equal((await relay.inner.transmit(held[0])).sw, 0x6982);
    assert.equal(card.received.length, 0);
  });

  it('error status words travel without R-MAC and the session goes on', async () => {
    const s = setup(pki);
    let answer = 0x6a80;
    const card = new TestCard(s.sd, { extended: true, app: () => ({ data: new Uint8Array(0), sw: answer }) });
    const scp = await openScp11(new GetResponseChannel(card), oceParams(pki, 'b'), rng());
    const r = await scp.transmit(command());
    assert.deepEqual([r.sw, r.data.length], [0x6a80, 0]);
    answer = SW_OK;
    assert.deepEqual([(await scp.transmit(command())).sw], [SW_OK]);
  });

  it('a 9000 with R-MAC but no data is accepted; the card R-MACs data-less warnings too', async () => {
    const pkiB = pkiFor(P256);
    let answer = SW_OK;
    const card = new TestCard(securityDomain(pkiB), {
      extended: true,
      app: () => ({ data: new Uint8Array(0), sw: answer }),
    });
    const relay = new Relay(card);
    const scp = await openScp11(new GetResponseChannel(relay), oceParams(pkiB, 'b'), rng());
    let seen: ResponseApdu | undefined;
    relay.onResponse = (r) => (seen = r);
    for (const sw of [SW_OK, 0x6310, 0x6283]) {
      answer = sw;
      const r = await scp.transmit({ cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: new Uint8Array(0) });
      assert.deepEqual([r.sw, r.data.length], [sw, 0]);
      assert.deepEqual(
        [seen!.sw, seen!.data.length],
        [sw, 8],
        `the card sent an R-MAC on ${sw.toString(16)}`,
      );
    }
  });

  // DESIGN.md 4.3 (issue 9, finding 9): an on-path relay must not be able to fake success.
  for (const [what, sw, data] of [
    ['a bare 9000 to a data-less answer', SW_OK, false],
    ['a bare 9000 to an answer with data', SW_OK, true],
    ['a bare warning 6310', 0x6310, false],
    ['a bare warning 6283', 0x6283, true],
  ] as const) {
    it(`a relay answering ${what} (no R-MAC) is refused and the session ends`, async () => {
      const { scp, relay, sd, card } = await open('b');
      const sent = { cla: 0x80, ins: 0xe2, p1: 0, p2: 0, data: data ? Uint8Array.of(9) : new Uint8Array(0) };
      relay.onCommand = () => ({ data: new Uint8Array(0), sw });
      await assert.rejects(
        scp.transmit(sent),
        (e: unknown) =>
          e instanceof SecureChannelError && e.reason === 'r-mac' && /without its R-MAC/.test(e.message),
      );
      assert.equal(card.received.length, 0, 'the card never saw the command');
      assert.ok(scp.closed, 'the host ended the session');
      assert.ok(
        scp.sessionKeys.sMac.every((b) => b === 0),
        'and wiped its keys',
      );
      relay.onCommand = (c) => c;
      await assert.rejects(
        scp.transmit(sent),
        (e: unknown) => e instanceof SecureChannelError && e.reason === 'closed',
      );
      assert.ok(sd.session !== undefined, 'the card-side session is untouched by what the relay did');
    });
  }

  it('the same relay with an error SW: the error passes through and the session goes on', async () => {
    const { scp, relay, card } = await open('b');
    relay.onCommand = () => ({ data: new Uint8Array(0), sw: 0x6a80 });
    assert.equal((await scp.transmit(command())).sw, 0x6a80);
    assert.ok(!scp.closed);
    relay.onCommand = (c) => c;
    // The card never saw the first command, so its MAC chain is one behind: 6982, as for any lost command.
    assert.equal((await scp.transmit(command())).sw, 0x6982);
    assert.equal(card.received.length, 0);
  });

  it("the card accepts the other Lc' form and both empty-command forms", async () => {
    const s = setup(pki);
    const scp = await openScp11(
      s.transport,
      oceParams(pki, 'a', 16, { emptyCommand: 'padding-block' }),
      rng(),
    );
    // An extended APDU re-encoded short by a relay (the MAC was computed over 00 Lc1 Lc2).
    s.relay.onCommand = (c) => ({ ...c, extended: undefined });
    const r = await scp.transmit({ ...command(), extended: true });
    assert.equal(r.sw, SW_OK);
    s.relay.onCommand = (c) => c;
    let wire: CommandApdu | undefined;
    s.relay.onCommand = (c) => (wire = c);
    assert.equal((await scp.transmit(command(new Uint8Array(0)))).sw, SW_OK);
    assert.equal(wire!.data.length, 16 + 8, 'one encrypted padding block and the C-MAC');
    assert.equal(s.card.received.at(-1)!.data.length, 0);

    const g = setup(pki);
    const gp = await openScp11(g.transport, oceParams(pki, 'a'), rng());
    g.relay.onCommand = (c) => (wire = c);
    assert.equal((await gp.transmit(command(new Uint8Array(0)))).sw, SW_OK);
    assert.equal(wire!.data.length, 8, 'no data field, only the C-MAC');
    assert.equal((await gp.transmit(command())).sw, SW_OK, 'the counter advanced on both sides');
  });

  it('closing the channel wipes its keys and refuses further commands', async () => {
    const { scp } = await open();
    scp.close();
    assert.ok(scp.sessionKeys.sEnc.every((b) => b === 0));
    await assert.rejects(
      scp.transmit(command()),
      (e: unknown) => e instanceof SecureChannelError && e.reason === 'closed',
    );
  });

  it('a new handshake or reset ends the previous session', async () => {
    const { scp, sd } = await open();
    sd.reset();
    assert.equal(sd.session, undefined);
    assert.equal((await scp.transmit(command())).sw, 0x6982);
  });
});

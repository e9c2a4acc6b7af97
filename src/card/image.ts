// The card image: everything a virtual UICC/eUICC keeps across power cycles (DESIGN.md 4.1-4.6), and its
// versioned JSON file form. The file holds the card's secrets (K, OPc, SK.SD.ECKA): mode 0600, never logged.
import { z } from 'zod';
import { fromHex, toHex } from '../bytes/index.js';
import {
  curveByName,
  keyPairFromPrivate,
  type Curve,
  type CurveName,
  type EcKeyPair,
} from '../crypto/index.js';
import { AkaError, UsimSqnArray, type AkaAlgorithm, type UsimSqnState } from '../aka/index.js';
import type { AlgorithmParameters } from '../gp/key-update/index.js';
import type { DataObjectForm } from '../gp/data-objects/index.js';
import { CardImageError } from './errors.js';

export const CARD_IMAGE_FORMAT = 'ltku-card/1';

export interface CardSettings {
  /** DESIGN.md 4.3: E0 and BF21 answered wrapped (gp) or bare. */
  readonly dataObjects: DataObjectForm;
  /** BF30 83: shortest AES session key accepted. */
  readonly minAesKeyLength: 16 | 24 | 32;
  /** BF30 80: curves of the SCP11 key sets accepted for key update. */
  readonly keyUpdateCurves: readonly CurveName[];
  /** BF30 82: AKA algorithms the card implements for key update. */
  readonly akaAlgorithms: readonly AkaAlgorithm[];
}

export interface CardKeySet {
  readonly kid: number;
  readonly kvn: number;
  readonly keyPair: EcKeyPair;
  /** CERT.SD.ECKA and its issuers, leaf last. */
  readonly certificates: readonly Uint8Array[];
  /** GPC Amd F 7.5 (SCP11a/c): serials of the OCE certificates accepted; absent or empty: any chain-valid OCE. */
  readonly oceAllowlist?: readonly Uint8Array[];
}

/** A CA-KLOC public key (KID 10) the card trusts to certify an OCE. */
export interface CardCaKey {
  readonly kvn: number;
  readonly curve: Curve;
  readonly publicKey: Uint8Array;
  readonly name?: string;
  /** GPC Amd F 7.5, KID 10 form (yubikit): serials every certificate of an OCE chain under this key must carry. */
  readonly oceAllowlist?: readonly Uint8Array[];
}

export interface ProfileKeys {
  readonly algorithm: AkaAlgorithm;
  readonly k: Uint8Array;
  /** OPc (Milenage) or TOPc (TUAK). */
  readonly opc: Uint8Array;
  /** DESIGN.md 4.5 algorithm parameters as last received (absent elements: defaults). */
  readonly parameters?: AlgorithmParameters;
}

/** The last applied key update of a profile (DESIGN.md 4.5: only applied updates are remembered). */
export interface LastKeyUpdate {
  readonly transactionId: Uint8Array;
  /** The BF71 sent, returned verbatim on a retry. */
  readonly result: Uint8Array;
}

export interface CardProfile {
  /** 19 or 20 digits. */
  readonly iccid: string;
  /** 15 digits. */
  readonly imsi: string;
  readonly usimAid: Uint8Array;
  readonly keyVersion: number;
  readonly keys: ProfileKeys;
  readonly sqn: UsimSqnState;
  readonly lastUpdate?: LastKeyUpdate;
}

export interface CardImage {
  readonly eid: string;
  readonly settings: CardSettings;
  readonly keySets: readonly CardKeySet[];
  readonly caKloc: readonly CardCaKey[];
  /** Revoked certificate serials (the card's deny list). */
  readonly denyList: readonly Uint8Array[];
  /** Executable load files listed by GET STATUS P1 20. */
  readonly loadFiles: readonly Uint8Array[];
  readonly profiles: readonly CardProfile[];
}

// ------------------------------------------------------------------------------------------------ JSON form

const hex = z.string().regex(/^([0-9a-fA-F]{2})*$/, 'hex expected');
const byte = z.number().int().min(0).max(255);
const curveName = z.enum([
  'P-256',
  'P-384',
  'P-521',
  'brainpoolP256r1',
  'brainpoolP384r1',
  'brainpoolP512r1',
]);
const algorithm = z.enum(['milenage', 'tuak']);

const parametersSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('milenage'),
    r: z.array(z.number().int().min(0).max(127)).length(5).optional(),
    c: z.array(hex.length(32)).length(5).optional(),
  }),
  z.object({
    kind: z.literal('tuak'),
    keccakIterations: z.number().int().min(1).max(255).optional(),
    macLength: z.union([z.literal(8), z.literal(16), z.literal(32)]).optional(),
    resLength: z.union([z.literal(4), z.literal(8), z.literal(16), z.literal(32)]).optional(),
    ckLength: z.union([z.literal(16), z.literal(32)]).optional(),
    ikLength: z.union([z.literal(16), z.literal(32)]).optional(),
  }),
]);

const profileSchema = z.object({
  iccid: z.string().regex(/^[0-9]{19,20}$/, '19 or 20 digits expected'),
  imsi: z.string().regex(/^[0-9]{6,15}$/, '6 to 15 digits expected'),
  usimAid: hex.min(10).max(32),
  keyVersion: byte,
  algorithm,
  k: hex,
  opc: hex,
  parameters: parametersSchema.optional(),
  sqn: z.object({
    indBits: z.number().int(),
    delta: z.string(),
    limit: z.string().optional(),
    seqMs: z.array(z.string()),
  }),
  lastUpdate: z.object({ transactionId: hex.length(32), result: hex }).optional(),
});

const imageSchema = z.object({
  format: z.literal(CARD_IMAGE_FORMAT),
  eid: z.string().regex(/^[0-9]{32}$/, '32 digits expected'),
  settings: z.object({
    dataObjects: z.enum(['gp', 'bare']),
    minAesKeyLength: z.union([z.literal(16), z.literal(24), z.literal(32)]),
    keyUpdateCurves: z.array(curveName),
    akaAlgorithms: z.array(algorithm),
  }),
  keySets: z.array(
    z.object({
      kid: byte,
      kvn: byte,
      curve: curveName,
      privateKey: hex,
      certificates: z.array(hex).min(1),
      oceAllowlist: z.array(hex.min(2).max(42)).optional(),
    }),
  ),
  caKloc: z.array(
    z.object({
      kvn: byte,
      curve: curveName,
      publicKey: hex,
      name: z.string().optional(),
      oceAllowlist: z.array(hex.min(2).max(42)).optional(),
    }),
  ),
  denyList: z.array(hex),
  loadFiles: z.array(hex),
  profiles: z.array(profileSchema),
});

type ImageJson = z.infer<typeof imageSchema>;

type ParametersJson = z.infer<typeof parametersSchema>;

function parametersToJson(p: AlgorithmParameters | undefined): ParametersJson | undefined {
  if (p === undefined || p.kind === 'other') return undefined;
  if (p.kind === 'milenage') {
    return {
      kind: 'milenage',
      ...(p.r === undefined ? {} : { r: [...p.r] }),
      ...(p.c === undefined ? {} : { c: p.c.map(toHex) }),
    };
  }
  return parametersSchema.parse(p);
}

function parametersFromJson(p: ParametersJson | undefined): AlgorithmParameters | undefined {
  if (p === undefined || p.kind === 'tuak') return p;
  return {
    kind: 'milenage',
    ...(p.r === undefined ? {} : { r: p.r }),
    ...(p.c === undefined ? {} : { c: p.c.map((c) => fromHex(c)) }),
  };
}

/** The JSON text of the image file (keys in clear: the caller writes it with mode 0600). */
export function encodeCardImage(image: CardImage): string {
  const json: ImageJson = {
    format: CARD_IMAGE_FORMAT,
    eid: image.eid,
    settings: {
      dataObjects: image.settings.dataObjects,
      minAesKeyLength: image.settings.minAesKeyLength,
      keyUpdateCurves: [...image.settings.keyUpdateCurves],
      akaAlgorithms: [...image.settings.akaAlgorithms],
    },
    keySets: image.keySets.map((k) => ({
      kid: k.kid,
      kvn: k.kvn,
      curve: k.keyPair.curve.name,
      privateKey: toHex(k.keyPair.privateKey),
      certificates: k.certificates.map(toHex),
      ...(k.oceAllowlist === undefined ? {} : { oceAllowlist: k.oceAllowlist.map(toHex) }),
    })),
    caKloc: image.caKloc.map((c) => ({
      kvn: c.kvn,
      curve: c.curve.name,
      publicKey: toHex(c.publicKey),
      ...(c.name === undefined ? {} : { name: c.name }),
      ...(c.oceAllowlist === undefined ? {} : { oceAllowlist: c.oceAllowlist.map(toHex) }),
    })),
    denyList: image.denyList.map(toHex),
    loadFiles: image.loadFiles.map(toHex),
    profiles: image.profiles.map((p) => ({
      iccid: p.iccid,
      imsi: p.imsi,
      usimAid: toHex(p.usimAid),
      keyVersion: p.keyVersion,
      algorithm: p.keys.algorithm,
      k: toHex(p.keys.k),
      opc: toHex(p.keys.opc),
      parameters: parametersToJson(p.keys.parameters),
      sqn: { ...p.sqn, seqMs: [...p.sqn.seqMs] },
      ...(p.lastUpdate === undefined
        ? {}
        : {
            lastUpdate: {
              transactionId: toHex(p.lastUpdate.transactionId),
              result: toHex(p.lastUpdate.result),
            },
          }),
    })),
  };
  return JSON.stringify(json, null, 1) + '\n';
}

function checkProfile(p: z.infer<typeof profileSchema>, at: string): void {
  try {
    UsimSqnArray.fromJSON(p.sqn); // otherwise a bad SQN state would only show at the first AUTHENTICATE (6F00)
  } catch (e) {
    if (e instanceof AkaError) throw new CardImageError(`card image: ${at}.sqn: ${e.message}`);
    throw e;
  }
  const k = p.k.length / 2;
  const opc = p.opc.length / 2;
  const ok = p.algorithm === 'milenage' ? k === 16 && opc === 16 : (k === 16 || k === 32) && opc === 32;
  if (!ok)
    throw new CardImageError(
      `card image: ${at}: ${p.algorithm} key lengths K ${k}, OPc/TOPc ${opc} not allowed`,
    );
  if (p.parameters !== undefined && p.parameters.kind !== p.algorithm) {
    throw new CardImageError(
      `card image: ${at}.parameters: ${p.parameters.kind} parameters for ${p.algorithm}`,
    );
  }
}

/** Parses and checks an image file's text; errors name the field, never a value. */
export function decodeCardImage(text: string): CardImage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    // Not e.message: V8 quotes the start of the text, and an image holds keys in clear.
    const at = /at position (\d+)/.exec((e as Error).message)?.[1];
    throw new CardImageError(`card image: not JSON${at === undefined ? '' : ` (error at position ${at})`}`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof format === 'string' && format !== CARD_IMAGE_FORMAT && format.startsWith('ltku-card/')) {
    throw new CardImageError(`card image: format ${format} is not supported (expected ${CARD_IMAGE_FORMAT})`);
  }
  const parsed = imageSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CardImageError(`card image: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const j = parsed.data;
  j.profiles.forEach((p, i) => checkProfile(p, `profiles.${i}`));
  try {
    return {
      eid: j.eid,
      settings: j.settings,
      keySets: j.keySets.map((k) => ({
        kid: k.kid,
        kvn: k.kvn,
        keyPair: keyPairFromPrivate(curveByName(k.curve), fromHex(k.privateKey)),
        certificates: k.certificates.map((c) => fromHex(c)),
        ...(k.oceAllowlist === undefined ? {} : { oceAllowlist: k.oceAllowlist.map((s) => fromHex(s)) }),
      })),
      caKloc: j.caKloc.map((c) => ({
        kvn: c.kvn,
        curve: curveByName(c.curve),
        publicKey: fromHex(c.publicKey),
        ...(c.name === undefined ? {} : { name: c.name }),
        ...(c.oceAllowlist === undefined ? {} : { oceAllowlist: c.oceAllowlist.map((s) => fromHex(s)) }),
      })),
      denyList: j.denyList.map((s) => fromHex(s)),
      loadFiles: j.loadFiles.map((s) => fromHex(s)),
      profiles: j.profiles.map((p): CardProfile => ({
        iccid: p.iccid,
        imsi: p.imsi,
        usimAid: fromHex(p.usimAid),
        keyVersion: p.keyVersion,
        keys: {
          algorithm: p.algorithm,
          k: fromHex(p.k),
          opc: fromHex(p.opc),
          ...(p.parameters === undefined ? {} : { parameters: parametersFromJson(p.parameters) }),
        },
        sqn: p.sqn,
        ...(p.lastUpdate === undefined
          ? {}
          : {
              lastUpdate: {
                transactionId: fromHex(p.lastUpdate.transactionId),
                result: fromHex(p.lastUpdate.result),
              },
            }),
      })),
    };
  } catch (e) {
    if (e instanceof CardImageError) throw e;
    throw new CardImageError(`card image: ${(e as Error).message}`);
  }
}

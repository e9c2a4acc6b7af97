// What a run report holds (issue 14, "a picture of every run"): the messages seen at the run's seams, in order,
// and the facts around them. Only headers, lengths, names and status codes: never a data field, never key bytes.

/** The participants of the sequence diagram, left to right (DESIGN.md section 1). */
export const LANES = ['card', 'ue', 'server', 'hss', 'core'] as const;
export type Lane = (typeof LANES)[number];

export const LANE_TITLES: Record<Lane, string> = {
  card: 'Card (eUICC)',
  ue: 'UE',
  server: 'Provisioning Server',
  hss: 'HSS',
  core: 'Core',
};

export type MessageKind = 'apdu-command' | 'apdu-response' | 'http-request' | 'http-response';

/** One arrow. */
export interface MessageEvent {
  readonly type: 'message';
  readonly kind: MessageKind;
  readonly from: Lane;
  readonly to: Lane;
  /** Milliseconds since the recorder started. */
  readonly atMs: number;
  /** "SELECT", "GET DATA BF21", "POST RAM", "stage candidate". */
  readonly label: string;
  /** Header, lengths, status word meaning. */
  readonly detail: string;
  /** Answers only: the round trip of the request this answers. */
  readonly ms?: number;
  /** Answers only: false for an error status (SW not 9000/61xx, HTTP 4xx/5xx, no answer). */
  readonly ok?: boolean;
}

/** A band across the diagram: a step of the run. */
export interface PhaseEvent {
  readonly type: 'phase';
  readonly atMs: number;
  readonly title: string;
}

export type RunEvent = MessageEvent | PhaseEvent;

export interface JobStateEntry {
  readonly state: string;
  readonly at: string;
  readonly detail?: string;
}

export interface KeyVersionRow {
  readonly iccid: string;
  readonly imsi?: string;
  readonly before?: number;
  readonly after?: number;
}

export interface StepRow {
  readonly step: string;
  readonly title: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

/** Everything one report shows. */
export interface RunReport {
  readonly title: string;
  /** The command line (options only, no secrets). */
  readonly command: string;
  readonly startedAt: string;
  readonly totalMs: number;
  readonly ok: boolean;
  readonly error?: string;
  /** Name/value facts: EID, suite, curve, outcome. */
  readonly facts: readonly (readonly [string, string])[];
  readonly steps: readonly StepRow[];
  readonly jobHistory: readonly JobStateEntry[];
  /** Why the job history is absent, when it is. */
  readonly jobHistoryNote?: string;
  readonly keyVersions: readonly KeyVersionRow[];
  readonly keyVersionsNote?: string;
  readonly events: readonly RunEvent[];
}

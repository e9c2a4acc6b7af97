// The demo's narration: each step is timed, printed as it ends (or collected for --json), and a failing step
// names itself and why.

export interface StepRecord {
  readonly step: string;
  readonly title: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly details: Record<string, unknown>;
  readonly error?: string;
}

export class StepFailed extends Error {
  override name = 'StepFailed';
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`step ${step} failed: ${reason}`);
  }
}

export class Narrator {
  readonly steps: StepRecord[] = [];

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly quiet: boolean,
    /** Called as each step starts (the --report recorder marks a phase). */
    private readonly onStepStart?: (step: string, title: string) => void,
  ) {}

  say(line: string): void {
    if (!this.quiet) this.out.write(`${line}\n`);
  }

  /** Runs one step; its result's `details` are recorded; a thrown error fails the demo with the step's name. */
  async step<T extends Record<string, unknown>>(
    step: string,
    title: string,
    body: () => Promise<T>,
    describe: (details: T) => string[] = () => [],
  ): Promise<T> {
    const start = performance.now();
    this.onStepStart?.(step, title);
    this.say(`\n[${step}] ${title}`);
    try {
      const details = await body();
      const ms = Math.round((performance.now() - start) * 10) / 10;
      this.steps.push({ step, title, ok: true, ms, details });
      for (const line of describe(details)) this.say(`      ${line}`);
      this.say(`      ok (${ms} ms)`);
      return details;
    } catch (e) {
      const ms = Math.round((performance.now() - start) * 10) / 10;
      const reason = e instanceof Error ? e.message : String(e);
      this.steps.push({ step, title, ok: false, ms, details: {}, error: reason });
      this.say(`      FAILED: ${reason}`);
      throw new StepFailed(step, reason);
    }
  }
}

// The clock as an injected capability: protocol layers never read the time themselves.

export interface Clock {
  now(): Date;
}

/** A clock that always answers the same instant, or one the test moves. */
export class FixedClock implements Clock {
  constructor(private instant: Date) {}
  now(): Date {
    return new Date(this.instant.getTime());
  }
  set(instant: Date): void {
    this.instant = instant;
  }
  advance(ms: number): void {
    this.instant = new Date(this.instant.getTime() + ms);
  }
}

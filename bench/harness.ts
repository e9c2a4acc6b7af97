// A tiny benchmark harness: runs a function for a fixed time and reports operations per second.

export interface BenchResult {
  name: string;
  opsPerSecond: number;
  iterations: number;
}

/** Runs `fn` repeatedly for about `seconds` (after a short warm-up) and returns its rate. */
export async function measure(name: string, fn: () => unknown, seconds = 1): Promise<BenchResult> {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) await fn();
  let iterations = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 16; i++) await fn();
    iterations += 16;
    now = performance.now();
  }
  return { name, iterations, opsPerSecond: (iterations * 1000) / (now - start) };
}

export function formatRate(r: BenchResult): string {
  const rate =
    r.opsPerSecond >= 1e6
      ? `${(r.opsPerSecond / 1e6).toFixed(2)} M/s`
      : r.opsPerSecond >= 1e3
        ? `${(r.opsPerSecond / 1e3).toFixed(1)} k/s`
        : `${r.opsPerSecond.toFixed(1)} /s`;
  return `${r.name.padEnd(56)} ${rate.padStart(12)}`;
}

export interface BenchSuite {
  title: string;
  run(print: (line: string) => void): Promise<void>;
}

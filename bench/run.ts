// `npm run bench`: runs every bench/*.bench.js (each exports `suite: BenchSuite`), single-threaded.
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { BenchSuite } from './harness.js';

const dir = new URL('./', import.meta.url);
const filter = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `ltku benchmarks: Node ${process.version}, ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
);
for (const file of files) {
  const { suite } = (await import(new URL(file, dir).href)) as { suite: BenchSuite };
  console.log(`\n## ${suite.title}`);
  await suite.run((line) => console.log(line));
}

// The UE side of the RAM bench (ram.bench.ts) in its own process, so that the server's process counts only the
// server's CPU: one virtual card per line of CARDS-FILE, each running one RAM session (runRamSession over fetch)
// against RAM-URL, CONCURRENCY at a time. Prints "ready" once the cards are loaded, waits for a line on stdin,
// runs every card once per line, then prints one JSON line {updates, failures, seconds}.
// Usage: node client.js CARDS-FILE RAM-URL CONCURRENCY
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cryptoRandom } from '../../src/crypto/index.js';
import { MemoryCardStore, VirtualCard, decodeCardImage } from '../../src/card/index.js';
import { GetResponseChannel } from '../../src/iso7816/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';

const [file, url, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const clock = { now: () => new Date() };
const cards = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .map((l) => {
    const image = decodeCardImage(l);
    const card = new VirtualCard(image, { store: new MemoryCardStore(), clock, rng: cryptoRandom });
    return { eid: image.eid, channel: new GetResponseChannel(card) };
  });

async function round(): Promise<{ updates: number; failures: string[]; seconds: number }> {
  const started = performance.now();
  const failures: string[] = [];
  let next = 0;
  let updates = 0;
  const worker = async () => {
    while (next < cards.length) {
      const card = cards[next++];
      try {
        const report = await runRamSession({ url, eid: card.eid, channel: card.channel });
        if (report.job?.state === 'completed') updates++;
        else failures.push(`${card.eid}: job ${report.job?.state ?? 'none'}`);
      } catch (e) {
        failures.push(`${card.eid}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { updates, failures: failures.slice(0, 5), seconds: (performance.now() - started) / 1000 };
}

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'quit') break;
  process.stdout.write(`${JSON.stringify(await round())}\n`);
}

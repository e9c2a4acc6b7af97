// The UE side of the RAM bench (ram.bench.ts) in its own process, so that the server's process counts only the
// server's CPU: one virtual card per line of CARDS-FILE, each running one RAM session (runRamSession over fetch)
// against RAM-URL, CONCURRENCY at a time. Prints "ready" once the cards are loaded, then per line on stdin:
// "go" runs every card once and prints one JSON line {updates, failures, seconds, transcript} (transcript: the
// first round's first session, transcript.ts); "floor ORIGIN" replays that transcript once per card, CONCURRENCY
// at a time, against the HTTP floor's server (http-floor.ts) and prints {updates, failures, seconds}.
// Usage: node client.js CARDS-FILE RAM-URL CONCURRENCY
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cryptoRandom } from '../../src/crypto/index.js';
import { MemoryCardStore, VirtualCard, decodeCardImage } from '../../src/card/index.js';
import { GetResponseChannel } from '../../src/iso7816/index.js';
import { runRamSession } from '../../src/ue/ram-agent.js';
import { recordingFetch, replaySession, type Exchange } from './transcript.js';

const [file, url, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const clock = { now: () => new Date() };
const FLOOR = 'floor ';
const cards = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .map((l) => {
    const image = decodeCardImage(l);
    const card = new VirtualCard(image, { store: new MemoryCardStore(), clock, rng: cryptoRandom });
    return { eid: image.eid, channel: new GetResponseChannel(card) };
  });
/** The first round's first session (recorded once: the HTTP floor's server answers this one). */
const transcript: Exchange[] = [];

/** Runs `session(i)` for i in 0..cards.length-1, `concurrency` at a time; a session ok counts as an update. */
async function round(session: (i: number) => Promise<string | undefined>) {
  const started = performance.now();
  const failures: string[] = [];
  let next = 0;
  let updates = 0;
  const worker = async () => {
    while (next < cards.length) {
      const i = next++;
      try {
        const failure = await session(i);
        if (failure === undefined) updates++;
        else failures.push(failure);
      } catch (e) {
        failures.push(`${cards[i].eid}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { updates, failures: failures.slice(0, 5), seconds: (performance.now() - started) / 1000 };
}

async function keyUpdates() {
  const record = transcript.length === 0;
  const r = await round(async (i) => {
    const card = cards[i];
    const report = await runRamSession({
      url,
      eid: card.eid,
      channel: card.channel,
      ...(record && i === 0 ? { fetch: recordingFetch(transcript) } : {}),
    });
    return report.job?.state === 'completed' ? undefined : `${card.eid}: job ${report.job?.state ?? 'none'}`;
  });
  return { ...r, transcript };
}

async function floor(origin: string) {
  if (transcript.length === 0) throw new Error('HTTP floor: no RAM session recorded yet');
  return round(async () => {
    await replaySession(origin, transcript);
    return undefined;
  });
}

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'quit') break;
  const result = line.startsWith(FLOOR) ? await floor(line.slice(FLOOR.length)) : await keyUpdates();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

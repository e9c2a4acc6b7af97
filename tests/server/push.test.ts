// The push notice's log line tells the truth: "pushed to the attached UE" only when the core says an event
// stream of that UE received it; otherwise the notice waits (the core queues it) or the UE is not attached.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, type Logger } from '../../src/ports/index.js';
import { corePushNotifier, type JobView } from '../../src/server/index.js';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (o: object | string, msg?: string) => lines.push(typeof o === 'string' ? o : (msg ?? ''));
  return { lines, logger: { ...silentLogger, info: log, warn: log, error: log } };
}

async function pushWith(status: number, body: string): Promise<string[]> {
  const { logger, lines } = capture();
  const fake = (async () => new Response(body, { status })) as typeof fetch;
  const notify = corePushNotifier('http://core.invalid', () => 'http://ram.invalid/ram/v1', logger, {
    fetch: fake,
  });
  await notify({ id: 'j1', imsi: '001010000000001' } as JobView);
  return lines;
}

describe('server push log', () => {
  it('says pushed only when a UE event stream took the notice', async () => {
    assert.deepEqual(await pushWith(202, '{"delivered":true,"streams":1}'), [
      'key update pushed to the attached UE',
    ]);
    const queued = await pushWith(202, '{"delivered":false,"streams":0}');
    assert.equal(queued.length, 1);
    assert.match(queued[0], /no UE event stream open/);
    assert.match((await pushWith(404, '{}'))[0], /not reachable by push/);
  });
});

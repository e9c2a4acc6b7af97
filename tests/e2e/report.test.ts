// `ltku demo --report FILE` and `ltku ue sync --report FILE` (issue 14, "a picture of every run"): each page is
// opened in a real headless browser (Debian's chromium driven by playwright-core; CI installs it in .ci/run)
// which checks that the diagram rendered — five lanes, one arrow per recorded message, no console error, no
// request — and saves a screenshot beside the page. No page may carry key bytes: K and OPc of every profile,
// old and new, and the card's private key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { LANES, REPORT_DATA_ID } from '../../src/cli/report/index.js';
import { demoCredentials, startHssAndCore } from '../../src/cli/commands/demo/support/services.js';
import { startServer } from '../../src/cli/commands/demo/support/key-update.js';
import { adminRequest } from '../../src/cli/commands/server/support/admin-client.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const missing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)`;

/** The secret hex strings of a card image or personalisation file: K, OPc/TOPc, private keys. */
function secretsOf(file: string): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, key: string) => {
    if (typeof v === 'string' && /^(k|opc|topc|op|privatekey)$/i.test(key) && /^[0-9a-f]{32,}$/i.test(v)) {
      found.add(v.toLowerCase());
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(JSON.parse(readFileSync(file, 'utf8')), '');
  return [...found];
}

/** The little of the DOM the probe uses (the tests compile without lib "dom"). */
interface ProbeElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): (ProbeElement & { getBBox(): { width: number } }) | null;
  textContent: string | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<ProbeElement>;
  getElementById(id: string): ProbeElement | null;
};

interface PageEvent {
  type: string;
  label?: string;
  kind?: string;
}

interface PageFacts {
  lanes: string[];
  arrows: number;
  drawn: number;
  data: { messageCount: number; events: PageEvent[] };
  labels: string[];
}

/**
 * Checks a report page: no secret in it, then in chromium: the five lanes, one drawn arrow per message of the
 * embedded data, no console error, no request but the file; saves a full-page screenshot beside it.
 */
async function checkPage(page: string, secrets: string[]): Promise<{ messages: PageEvent[]; shot: string }> {
  const html = readFileSync(page, 'utf8');
  assert.ok(secrets.length >= 3, `found the secrets to look for (${secrets.length})`);
  const flat = html.toLowerCase().replace(/[^0-9a-f]/g, '');
  for (const s of secrets) assert.ok(!flat.includes(s), 'a key appears in the report');
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)[a-z]/i, 'no reference outside the page');

  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'ltku-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: LAUNCH_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const errors: string[] = [];
    const requests: string[] = [];
    context.on('request', (q) => requests.push(q.url()));
    const tab = await context.newPage();
    tab.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    const facts = (await tab.evaluate((dataId) => {
      const lanes = [...document.querySelectorAll('#diagram g.lane')].map(
        (g) => g.getAttribute('data-lane') ?? '',
      );
      const arrows = [...document.querySelectorAll('#diagram g.msg')];
      const drawn = arrows.filter((g) => {
        const line = g.querySelector('line');
        return line !== null && line.getBBox().width > 10;
      }).length;
      const data = JSON.parse(document.getElementById(dataId)?.textContent ?? '{}');
      const labels = arrows.map((g) => g.querySelector('text.l')?.textContent ?? '');
      return { lanes, arrows: arrows.length, drawn, data, labels };
    }, REPORT_DATA_ID)) as PageFacts;

    assert.deepEqual([...new Set(facts.lanes)].sort(), [...LANES].sort(), 'the five lanes');
    const messages = facts.data.events.filter((e) => e.type === 'message');
    assert.ok(messages.length > 10, `a run has many messages (${messages.length})`);
    assert.equal(facts.data.messageCount, messages.length);
    assert.equal(facts.arrows, messages.length, 'one arrow per recorded message');
    assert.equal(facts.drawn, messages.length, 'every arrow has a drawn line');
    assert.deepEqual(
      facts.labels,
      messages.map((m) => m.label),
      'the arrows in the order of the messages',
    );
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:')),
      [],
      'the page fetches nothing',
    );
    const shot = page.replace(/\.html$/, '.png');
    await tab.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000, 'a screenshot was saved');
    return { messages, shot };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const labelsOf = (messages: PageEvent[]) => new Set(messages.map((m) => m.label));
/** The commands of a key update, as the UE sees them: SCP11a opening in clear, then opaque STORE DATA. */
const KEY_UPDATE_COMMANDS = [
  'SELECT by AID',
  'GET DATA 00E0',
  'GET DATA BF30',
  'GET DATA FF33',
  'GET DATA BF21',
  'PERFORM SECURITY OPERATION',
  'MUTUAL AUTHENTICATE',
  'STORE DATA [secure messaging]',
];

describe('run reports in chromium', { timeout: 180_000, skip: missing && `skipped: ${missing}` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ltku-report-'));

  it('ltku demo --report: the whole run, HSS calls and attaches included', async (t) => {
    const page = join(dir, 'demo.html');
    const r = await runCli(['demo', '--json', '--report', page, '--keep', join(dir, 'demo')]);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      reason?: string;
      report: string;
      keyUpdate: { posts: number };
    };
    assert.equal(out.ok, true, out.reason);
    assert.equal(out.report, page);
    const secrets = [
      ...secretsOf(join(dir, 'demo', 'clone-with-old-keys.json')),
      ...secretsOf(join(dir, 'demo', 'card.json')),
    ];
    const { messages, shot } = await checkPage(page, secrets);
    const ramPosts = messages.filter((m) => m.kind === 'http-request' && m.label?.startsWith('RAM POST'));
    assert.equal(ramPosts.length, out.keyUpdate.posts, 'one arrow per RAM POST the CLI counted');
    const labels = labelsOf(messages);
    for (const name of [
      ...KEY_UPDATE_COMMANDS,
      'AUTHENTICATE',
      'stage candidate',
      'commit candidate',
      'generate 5G AKA vector',
      'attach (IMSI)',
      'detach',
    ]) {
      assert.ok(labels.has(name), `an arrow named ${name}`);
    }
    const html = readFileSync(page, 'utf8');
    assert.match(html, /<td>pending<\/td>[\s\S]*<td>completed<\/td>/, 'the job state history');
    assert.match(html, /SCP11a key set KVN 1/, 'the suite chosen');
    t.diagnostic(`report ${page}, screenshot ${shot}`);
  });

  it('ltku ue sync --report: the session and the re-attach as the UE saw them', async (t) => {
    const pki = join(dir, 'pki');
    const card = join(dir, 'card.json');
    const subscribers = join(dir, 'subscribers.json');
    for (const args of [
      ['pki', 'init', '--dir', pki],
      ['pki', 'issue', '--dir', pki, '--role', 'oce', '--format', 'gp', '--out', join(pki, 'oce')],
      ['card', 'create', '--pki', pki, '--out', card, '--profiles', '1', '--subscribers-out', subscribers],
      ['hss', 'import', subscribers, '--data-dir', dir],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `ltku ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
    }
    const credentials = demoCredentials();
    const hc = await startHssAndCore(dir, undefined, credentials);
    const stops = [hc.stopAll];
    t.after(async () => {
      for (const stop of stops.reverse()) await stop();
    });
    const server = await startServer({
      dir,
      pki,
      db: undefined,
      hssUrl: hc.hssUrl,
      coreUrl: hc.coreUrl,
      subscribersFile: subscribers,
      credentials,
    });
    stops.push(server.close);
    const { iccid } = JSON.parse(readFileSync(subscribers, 'utf8')).subscribers[0] as { iccid: string };
    await adminRequest(server.operator, 'POST', '/admin/v1/jobs', { iccid });

    const page = join(dir, 'sync.html');
    const args = ['ue', 'sync', '--card', card, '--server', server.ramUrl, '--core', hc.coreUrl];
    const r = await runCli([...args, '--iccid', iccid, '--report', page, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { posts: number; keyVersionAfter: number };
    assert.equal(out.keyVersionAfter, 2);
    const { messages, shot } = await checkPage(page, [...secretsOf(subscribers), ...secretsOf(card)]);
    const labels = labelsOf(messages);
    for (const name of [...KEY_UPDATE_COMMANDS, 'AUTHENTICATE', 'attach (IMSI)']) {
      assert.ok(labels.has(name), `an arrow named ${name}`);
    }
    assert.equal(
      messages.filter((m) => m.kind === 'http-request' && m.label?.startsWith('RAM POST')).length,
      out.posts,
    );
    assert.match(readFileSync(page, 'utf8'), /<td>1<\/td><td>2<\/td>/, 'key version 1 before, 2 after');
    t.diagnostic(`report ${page}, screenshot ${shot}`);
  });
});

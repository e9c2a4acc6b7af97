// Issue 11, RFC 9110 9.2.2: `ltku campaign delete` sends its DELETE again when no answer came. The server
// deleted the draft the first time and answers the resend 404: that is the CLI's success, not a failure. A 404 to
// the first send stays an error naming the campaign; a campaign (not a draft) is refused (409). Through a proxy
// that drops the connection after the server answered the first DELETE (the answer lost on the way back).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { cliArgs } from '../helpers/cli-args.js';
import { admin, fleet, sqliteServer } from './support/campaign-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'ltku-campaign-delete-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PATH = '/admin/v1/campaigns';

/** Forwards to `upstream`; the answer to the next DELETE, once armed, is read and dropped with the connection. */
async function lossyProxy(upstream: string) {
  let loseNextDelete = false;
  const deletes: number[] = [];
  const server = http.createServer((req, res) => {
    const lose = req.method === 'DELETE' && loseNextDelete;
    if (lose) loseNextDelete = false;
    const out = http.request(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: req.headers },
      (answer) => {
        if (req.method === 'DELETE') deletes.push(answer.statusCode ?? 0);
        if (lose) {
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    loseNextDelete: () => (loseNextDelete = true),
    /** The statuses the server answered to the DELETEs that came through. */
    deletes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('ltku campaign delete, sent again after a lost answer', () => {
  it('a 404 to the resend is success; a 404 to the first send names the campaign', async () => {
    const f = await fleet('delete-retry', 1, 1);
    const { server, close } = await sqliteServer(f, { instance: 'delete', tickMs: 60_000 });
    const proxy = await lossyProxy(server.adminUrl);
    const tokenFile = join(dir, 'operator.token');
    writeFileSync(tokenFile, `${f.operatorToken}\n`, { mode: 0o600 });
    const target = { server: proxy.url, 'token-file': tokenFile };
    const api = (method: string, path: string, body?: object) =>
      admin(server.adminUrl, f.operatorToken, method, path, body);
    const remove = (id: string, json = false) =>
      runCli(cliArgs(['campaign', 'delete'], { id, ...target, json }));
    const newDraft = async () => {
      const d = await api('POST', PATH, { selection: { chunks: true } });
      assert.equal(d.status, 201);
      return d.json.id as string;
    };
    try {
      const draft = await newDraft();
      proxy.loseNextDelete();
      const deleted = await remove(draft);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(
        deleted.stdout,
        `draft ${draft} deleted (the first answer was lost; sent again, it was gone)\n`,
      );
      assert.deepEqual(proxy.deletes, [200, 404], 'deleted by the first send, 404 to the resend');
      assert.equal((await api('GET', `${PATH}/${draft}`)).status, 404);

      const other = await newDraft();
      proxy.loseNextDelete();
      const json = await remove(other, true);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), { id: other, alreadyDeleted: true });

      // A 404 to the first send: no such draft (a wrong id, or deleted before); an error naming the campaign.
      const unknown = await remove(draft);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, new RegExp(`server refused \\(404\\): no campaign ${draft}`));

      // Answered at once: the members deleted are counted.
      const third = await newDraft();
      const plain = await remove(third);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(plain.stdout, `draft ${third} deleted (0 members)\n`);

      // A campaign is never deleted (it is cancelled), however the request goes.
      const c = await api('POST', PATH, { selection: { lines: [f.entries[0].iccid] } });
      assert.equal(c.status, 201);
      const refused = await remove(c.json.id as string);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /\(409\): campaign [0-9a-f]{16} is created: only a draft is deleted/);
      assert.equal((await api('GET', `${PATH}/${c.json.id as string}`)).json.state, 'created');
    } finally {
      await proxy.close();
      await close();
      await f.close();
    }
  });
});

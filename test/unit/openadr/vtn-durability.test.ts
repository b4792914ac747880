/** SQLite durability (kill -9 of a child VTN), persisted token secret, and webhook delivery. */
import assert from 'assert';
import { spawn } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { SqliteStore } from '../../../src';
import { freePort } from '../../support/ports';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

const root = path.resolve(__dirname, '..', '..', '..');

function tempFile(): { file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-db-'));
  return { file: path.join(dir, 'vtn.db'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A real callback server; `status()` decides each answer. `got`: the accepted ones, `tries`: all. */
async function callbackServer(
  status: () => number,
): Promise<{ url: string; got: Received[]; tries: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const tries: Received[] = [];
  const port = await freePort();
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const code = status();
      tries.push({ headers: req.headers, body: JSON.parse(data) });
      if (code === 200) got.push({ headers: req.headers, body: JSON.parse(data) });
      res.statusCode = code;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${port}/cb`,
    got,
    tries,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const subscription = (callbackUrl: string, programID = 'any'): Record<string, unknown> => ({
  clientName: 'test',
  programID,
  objectOperations: [
    {
      objects: ['PROGRAM', 'EVENT'],
      operations: ['CREATE', 'UPDATE', 'DELETE'],
      callbackUrl,
      bearerToken: 'cb-token',
    },
  ],
});

describe('VTN durability and webhooks', () => {
  it('keeps every acknowledged object after kill -9 of the VTN process', async function () {
    this.timeout(30000);
    const { file, cleanup } = tempFile();
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(root, 'test/fixtures/vtn/child-vtn.ts'), file],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          const m = /URL (\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      const tokenRes = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      });
      const token = ((await tokenRes.json()) as { access_token: string }).access_token;
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${url}/programs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ programName: `durable-${i}` }),
        });
        assert.strictEqual(r.status, 201);
        ids.push(((await r.json()) as { id: string }).id);
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const store = new SqliteStore(file);
      const kept = (await store.list({ type: 'PROGRAM' })).map((o) => o.id);
      await store.close();
      assert.deepStrictEqual(kept, ids);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      cleanup();
    }
  });

  it('tokens survive a restart on the same store file (persisted signing secret)', async () => {
    const { file, cleanup } = tempFile();
    const a = await startTestVtn({ store: file });
    const token = await a.token('bl_client', '1001');
    await a.close();
    const b = await startTestVtn({ store: file });
    assert.strictEqual((await b.call('GET', '/programs', token)).status, 200);
    await b.close();
    cleanup();
  });

  describe('webhooks', () => {
    let t: TestVtn;
    afterEach(async () => t?.close());

    it('POSTs {objectType, operation, object} as JSON with the bearer token, without blocking the API', async () => {
      const cb = await callbackServer(() => 200);
      t = await startTestVtn();
      const bl = await t.token('bl_client', '1001');
      const ven = await t.token('ven_client', '999');
      const s = await t.call('POST', '/subscriptions', ven, subscription(cb.url));
      assert.strictEqual(s.status, 201);
      const p = await t.call('POST', '/programs', bl, { programName: 'hooked' });
      await until('a notification', () => cb.got.length === 1);
      const n = cb.got[0];
      assert.strictEqual(n.headers.authorization, 'Bearer cb-token');
      assert.strictEqual(n.headers['content-type'], 'application/json');
      assert.deepStrictEqual(
        { objectType: n.body.objectType, operation: n.body.operation, id: n.body.object.id },
        { objectType: 'PROGRAM', operation: 'POST', id: p.body.id },
      );
      assert.strictEqual(typeof n.body.object, 'object', 'object is JSON, not a JSON-encoded string');
      await t.call('DELETE', `/programs/${p.body.id}`, bl);
      await until('the delete notification', () => cb.got.length === 2);
      assert.strictEqual(cb.got[1].body.operation, 'DELETE');
      // Each notification is named by its outbox row, so a receiver can tell a new one from a repeat.
      const ids = cb.got.map((g) => g.headers['x-openadr-notification-id']);
      assert.ok(
        ids.every((id) => typeof id === 'string' && /^[1-9][0-9]*$/.test(id)),
        `ids ${JSON.stringify(ids)}`,
      );
      assert.notStrictEqual(ids[0], ids[1]);
      await cb.close();
    });

    it('a retried notification carries the same notification id as its first attempt', async () => {
      let calls = 0;
      const cb = await callbackServer(() => (++calls <= 2 ? 503 : 200));
      t = await startTestVtn({ webhooks: { baseDelayMs: 20, pollMs: 20 } });
      const bl = await t.token('bl_client', '1001');
      await t.call('POST', '/subscriptions', bl, subscription(cb.url));
      await t.call('POST', '/programs', bl, { programName: 'retried' });
      await until('delivery on the third attempt', () => cb.got.length === 1);
      await t.call('POST', '/programs', bl, { programName: 'next' });
      await until('the next notification', () => cb.got.length === 2);
      const ids = cb.tries.map((g) => g.headers['x-openadr-notification-id']);
      assert.deepStrictEqual(
        cb.tries.map((g) => g.body.object.programName),
        ['retried', 'retried', 'retried', 'next'],
      );
      assert.strictEqual(new Set(ids.slice(0, 3)).size, 1, `ids ${JSON.stringify(ids)}`);
      assert.notStrictEqual(ids[3], ids[0]);
      assert.match(String(ids[0]), /^[1-9][0-9]*$/);
      await cb.close();
    });

    it('privacy-filters notifications for VEN subscriptions like a GET', async () => {
      const cb = await callbackServer(() => 200);
      t = await startTestVtn();
      const bl = await t.token('bl_client', '1001');
      const ven = await t.token('ven_client', '999');
      await t.call('POST', '/vens', ven, { venName: 'me' });
      const p = await t.call('POST', '/programs', bl, { programName: 'private' });
      await t.call('POST', '/subscriptions', ven, subscription(cb.url, p.body.id));
      const ev = (name: string, to: string): Record<string, unknown> => ({
        programID: p.body.id,
        eventName: name,
        targets: [{ type: 'VEN_NAME', values: [to] }],
        intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [1] }] }],
      });
      await t.call('POST', '/events', bl, ev('not-mine', 'someone-else'));
      await t.call('POST', '/events', bl, ev('mine', 'me'));
      await until('one notification', () => cb.got.length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepStrictEqual(
        cb.got.map((g) => g.body.object.eventName),
        ['mine'],
      );
      await cb.close();
    });

    it('retries with backoff, then marks dead (visible on the subscription)', async () => {
      const cb = await callbackServer(() => 500);
      t = await startTestVtn({ webhooks: { baseDelayMs: 20, maxAttempts: 3, pollMs: 20 } });
      const bl = await t.token('bl_client', '1001');
      const s = await t.call('POST', '/subscriptions', bl, subscription(cb.url));
      await t.call('POST', '/programs', bl, { programName: 'fails' });
      await until(
        'dead state',
        async () =>
          (await t.call('GET', `/subscriptions/${s.body.id}`, bl)).body.deliveryStatus.state === 'dead',
      );
      const status = (await t.call('GET', `/subscriptions/${s.body.id}`, bl)).body.deliveryStatus;
      assert.strictEqual(status.dead, 1);
      assert.match(status.lastError, /HTTP 500/);
      await cb.close();
    });

    it('delivers after a restart a notification accepted before it', async () => {
      const { file, cleanup } = tempFile();
      let answer = 503;
      const cb = await callbackServer(() => answer);
      const a = await startTestVtn({ store: file, webhooks: { baseDelayMs: 60_000, pollMs: 50 } });
      const bl = await a.token('bl_client', '1001');
      await a.call('POST', '/subscriptions', bl, subscription(cb.url));
      await a.call('POST', '/programs', bl, { programName: 'survives' });
      await until('a failed attempt', async () => (await a.vtn.store.deliverySummary()).lastError !== null);
      await a.close();
      answer = 200;
      // Make the stored retry due now, as if the backoff had passed while the VTN was down.
      const db = new (await import('better-sqlite3')).default(file);
      db.prepare('UPDATE outbox SET next_attempt_at = 0').run();
      db.close();
      t = await startTestVtn({ store: file, webhooks: { pollMs: 50 } });
      await until('delivery after restart', () => cb.got.length === 1);
      assert.strictEqual(cb.got[0].body.object.programName, 'survives');
      await cb.close();
      cleanup();
    });

    it('refuses http callbacks to public hosts, and all http when insecure callbacks are off', async () => {
      t = await startTestVtn();
      const bl = await t.token('bl_client', '1001');
      let r = await t.call('POST', '/subscriptions', bl, subscription('http://example.com/cb'));
      assert.strictEqual(r.status, 400);
      assert.match(r.body.detail, /objectOperations\[0\]\.callbackUrl/);
      assert.strictEqual(
        (await t.call('POST', '/subscriptions', bl, subscription('https://example.com/cb'))).status,
        201,
      );
      await t.close();
      t = await startTestVtn({ callbacks: {} });
      const bl2 = await t.token('bl_client', '1001');
      r = await t.call('POST', '/subscriptions', bl2, subscription('http://127.0.0.1:9/cb'));
      assert.strictEqual(r.status, 400);
    });
  });
});

describe('VTN outbox housekeeping', () => {
  it('prunes delivered notifications older than the retention, keeps dead and pending ones', async () => {
    const store = new SqliteStore(':memory:');
    await store.apply({
      notify: [1, 2, 3].map((i) => ({
        subscriptionID: 's',
        callbackUrl: 'https://x/cb',
        bearerToken: null,
        body: `{"n":${i}}`,
      })),
    });
    const [a, b] = await store.dueNotifications(Date.now() + 1, 10);
    await store.markDelivered(a.id);
    await store.markFailed(b.id, 'HTTP 500', 0, true);
    assert.strictEqual(await store.pruneDelivered(Date.now() + 1), 1);
    const left = await store.deliverySummary('s');
    assert.deepStrictEqual([left.delivered, left.dead, left.pending], [0, 1, 1]);
    await store.close();
  });
});

/**
 * A real database restart under load, on a PRIVATE PostgreSQL cluster (the shared server on 5432
 * is never restarted): two VTN instances, writers and pollers running, `pg_ctl stop -m fast`, a few
 * seconds down, `pg_ctl start`. While it is down requests get 503 + Retry-After with a problem body
 * (never a 500) and the store reports itself unavailable; afterwards everything recovers, every
 * acknowledged write is readable, every stored program's webhook arrives exactly once, and each
 * instance heard every change the other committed exactly once (LISTEN re-established + catch-up).
 */
import assert from 'assert';
import http from 'http';
import pg from 'pg';
import { freePort } from '../../support/ports';
import { startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import type { Change } from '../../../src/openadr/vtn';
import type { StoreHealth } from '../../../src/openadr/vtn/store/store';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('VTN on PostgreSQL: a database restart under load', function () {
  this.timeout(180000);
  let cluster: PrivatePostgres | undefined;
  const vtns: TestVtn[] = [];
  let receiver: http.Server | undefined;

  before(async function () {
    this.timeout(120000);
    cluster = await startPrivatePostgres(this);
    const c = new pg.Client(cluster.url());
    await c.connect();
    await c.query('CREATE DATABASE vtn');
    await c.end();
  });
  after(async () => {
    await Promise.all(vtns.splice(0).map((v) => v.close()));
    if (receiver) await new Promise<void>((r) => receiver!.close(() => r()));
    await cluster?.destroy();
  });

  it('answers 503 while it is down, says so, and loses nothing once it is back', async () => {
    const delivered: string[] = [];
    const port = await freePort();
    receiver = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        delivered.push((JSON.parse(data) as { object: { programName: string } }).object.programName);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver!.listen(port, '127.0.0.1', () => r()));

    const health: Array<Array<StoreHealth>> = [[], []];
    const remote: Array<Map<string, number>> = [new Map(), new Map()];
    for (const i of [0, 1])
      vtns.push(
        await startTestVtn({
          store: cluster!.url('vtn'),
          webhooks: { pollMs: 100, timeoutMs: 2000 },
          onStoreHealth: (h) => health[i].push(h),
          onChange: (c: Change) => {
            if (!c.remote || c.objectType !== 'PROGRAM') return;
            const name = String((c.object as { programName: string }).programName);
            remote[i].set(name, (remote[i].get(name) ?? 0) + 1);
          },
        }),
      );
    const [a, b] = vtns;
    const bl = await a.token('bl_client', '1001');
    const sub = await a.call('POST', '/subscriptions', bl, {
      clientName: 'outage',
      programID: 'any',
      objectOperations: [
        { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `http://127.0.0.1:${port}/cb` },
      ],
    });
    assert.strictEqual(sub.status, 201, sub.text);

    // Every answer the load saw, by status; every acknowledged write, by the instance that took it.
    const statuses = new Map<number, number>();
    const acknowledged: Array<{ name: string; by: number }> = [];
    const unavailable: Array<{ status: number; retryAfter: string | null; body: unknown }> = [];
    const count = (s: number): void => void statuses.set(s, (statuses.get(s) ?? 0) + 1);
    let stop = false;
    let n = 0;
    const writer = async (): Promise<void> => {
      while (!stop) {
        const name = `p-${n++}`;
        const by = n % 2;
        const r = await vtns[by].call('POST', '/programs', bl, { programName: name });
        count(r.status);
        if (r.status === 201) acknowledged.push({ name, by });
        else if (r.status === 503) {
          unavailable.push({ status: r.status, retryAfter: r.headers.get('retry-after'), body: r.body });
          await sleep(50);
        }
      }
    };
    const poller = async (i: number): Promise<void> => {
      while (!stop) {
        const r = await vtns[i % 2].call('GET', '/programs?limit=5', bl);
        count(r.status);
        if (r.status === 503) {
          unavailable.push({ status: r.status, retryAfter: r.headers.get('retry-after'), body: r.body });
          await sleep(50);
        }
      }
    };
    const load = Promise.all([
      ...Array.from({ length: 4 }, () => writer()),
      ...Array.from({ length: 4 }, (_, i) => poller(i)),
    ]);
    try {
      await until('writes acknowledged before the outage', () => acknowledged.length >= 20);
      const before = acknowledged.length;
      await cluster!.stop();
      await until('503s from the load', () => unavailable.length >= 10);
      await until(
        'both instances report the database unavailable',
        () => health.every((h) => h.at(-1)?.available === false),
        20000,
      );
      await sleep(2000); // stay down a while: requests keep failing fast with 503
      const duringOutage = acknowledged.length;
      await cluster!.start();
      await until(
        'both instances report the database back',
        () => health.every((h) => h.at(-1)?.available === true),
        30000,
      );
      await until('writes acknowledged again on both instances', () =>
        [0, 1].every((i) => acknowledged.slice(duringOutage).some((x) => x.by === i)),
      );
      await sleep(1000);
      assert.ok(before >= 20);
    } finally {
      stop = true;
      await load;
    }

    console.log(
      `      answers: ${JSON.stringify(Object.fromEntries(statuses))}; ${acknowledged.length} writes acknowledged`,
    );
    // Never a 500 (or anything but 200/201/503) during the whole run.
    assert.deepStrictEqual(
      [...statuses.keys()].filter((s) => ![200, 201, 503].includes(s)),
      [],
      JSON.stringify([...statuses]),
    );
    assert.ok((statuses.get(503) ?? 0) > 0);
    for (const u of unavailable) {
      assert.strictEqual(u.retryAfter, '5');
      const body = u.body as { status: number; title: string; detail: string };
      assert.strictEqual(body.status, 503);
      assert.strictEqual(body.title, 'Service Unavailable');
      assert.match(body.detail, /database/);
    }
    // Status is honest: down, then up, for each instance.
    for (const h of health) {
      assert.ok(h.some((x) => !x.available && /ECONNREFUSED|terminat|shut|connect/i.test(x.error ?? '')));
      assert.strictEqual(h.at(-1)?.available, true);
    }

    // Every acknowledged write is readable through both instances.
    const stored = new Set<string>();
    for (let skip = 0; ; skip += 50) {
      const r = await b.call('GET', `/programs?skip=${skip}&limit=50`, bl);
      assert.strictEqual(r.status, 200);
      const page = r.body as Array<{ programName: string }>;
      page.forEach((p) => stored.add(p.programName));
      if (page.length < 50) break;
    }
    assert.deepStrictEqual(
      acknowledged.filter((x) => !stored.has(x.name)),
      [],
    );
    const viaA = await a.call('GET', `/programs?limit=50&skip=${Math.max(0, stored.size - 50)}`, bl);
    assert.strictEqual(viaA.status, 200);

    // Each stored program (acknowledged, or a 503 whose commit happened anyway) is notified exactly once.
    await until(
      'every stored program notified',
      () => [...stored].every((x) => delivered.includes(x)),
      40000,
    );
    await sleep(500);
    const times = new Map<string, number>();
    for (const d of delivered) times.set(d, (times.get(d) ?? 0) + 1);
    assert.deepStrictEqual(
      [...times].filter(([, k]) => k !== 1),
      [],
    );
    assert.deepStrictEqual(
      delivered.filter((x) => !stored.has(x)),
      [],
    );

    // Each instance heard every program the other one committed, once (LISTEN re-established, the
    // change log caught up on what was committed while it was not listening).
    await until('change events caught up', () =>
      acknowledged.every((x) => remote[1 - x.by].get(x.name) === 1),
    );
    for (const i of [0, 1])
      assert.deepStrictEqual(
        [...remote[i].values()].filter((k) => k !== 1),
        [],
      );
  });
});

/**
 * The fleet bench:vtn-scale and the fault test share: VTN processes (`scripts/vtn.js`) behind the
 * round-robin proxy (bench/rr-proxy.js), seeded with a program, its events and N VENs — each its
 * own VEN client, token and ven object — and the load generator (bench/vtn-load.js) run as a
 * process of its own.
 */
import { spawn, type ChildProcess } from 'child_process';
import type { FanoutResult } from './fanout';
import fs from 'fs';
import path from 'path';
import pg from 'pg';

export const root = path.resolve(__dirname, '..');
export const ADMIN = process.env.VTN_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const EVENTS = 10;

/** What bench/vtn-load.js prints. */
export interface Run {
  rps: number;
  p50: number;
  p99: number;
  pollP99: number;
  reportP99: number;
  errors: number;
  statuses: Record<string, number>;
  /** Failed requests by kind: on a connection that failed, an HTTP error status, no answer at the end. */
  failures: { connection: number; http: number; unanswered: number };
  requests: number;
  /** CPU time of the load generator process (its own report). */
  cpuMs: number;
  /** CPU ms per request by role, from /proc (Linux): what the work costs, whatever else runs. */
  cost?: Record<string, number>;
  /** BENCH_MQTT=1: MQTT and per-instance change events of the fixed-rate run (bench/fanout.ts). */
  fanout?: FanoutResult;
}

/** What bench/vtn-load.js writes to plan.recordFile. */
export interface LoadRecord {
  /** Wall clock (ms since the epoch) when the load started; `at` and buckets count from it. */
  startedAt: number;
  bucketMs: number;
  /** [2xx, connection failures, HTTP statuses >= 300] per bucket, by time of the answer. */
  buckets: Array<[number, number, number]>;
  /** Every report POST answered 201: the new report's id and when (ms after the start). */
  acknowledged: Array<{ id: string | null; at: number }>;
  reportFailures: { connection: number; http: number };
  /** Every failed request: when (ms after the start), the error code or HTTP status, whether a report. */
  failed: Array<{ at: number; status: string | number; report: boolean }>;
}

/** One entry of a load plan: a VEN's token, its poll path and its report POST. */
export interface LoadVen {
  token: string;
  poll: string;
  report: { path: string; body: string };
}

export const venName = (i: number): string => `ven-${String(i + 1).padStart(5, '0')}`;

/** A clients file for scripts/vtn.js --clients: bl_client and `vens` VEN clients. */
export function writeClients(file: string, vens: number): void {
  fs.writeFileSync(
    file,
    [
      'bl_client 1001 BL',
      ...Array.from({ length: vens }, (_, i) => `${venName(i)} secret-${venName(i)} VEN`),
    ].join('\n'),
  );
}

export function startChild(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the VTN processes.
  const nodeArgs =
    args[0] === 'scripts/vtn.js' ? (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err.slice(-400)}`)));
  });
}

export async function admin(sql: string): Promise<void> {
  const c = new pg.Client(ADMIN);
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function post(url: string, token: string, body: unknown): Promise<{ id: string }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`POST ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as { id: string };
}

export async function token(base: string, id: string, secret: string): Promise<string> {
  const r = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}`,
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

/** Run `items` through `fn` with at most `n` at a time. */
export async function inParallel<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k]);
      }
    }),
  );
  return out;
}

/** Run bench/vtn-load.js on `plan` (written to a file in `dir`) and return what it printed. */
export function runLoad(dir: string, plan: Record<string, unknown>): Promise<Run> {
  const file = path.join(dir, `plan-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(plan));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bench/vtn-load.js'), file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Run) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

export interface Fleet {
  /** The VTN processes, in start order, with their own URLs (…/openadr3/3.0.1 is the API). */
  vtns: Array<{ child: ChildProcess; url: string }>;
  proxy: ChildProcess;
  /** The proxy's origin (http://127.0.0.1:port). */
  origin: string;
  /** Every child: the VTNs, then the proxy. */
  children: ChildProcess[];
}

/**
 * Start one VTN process per store (`--pg` for postgres:// URLs, else `--store`), one after the
 * other — the first one creates the schema, the others would wait on its lock — then the proxy.
 * `vtnArgs` go to every VTN (e.g. --pool 4), `proxyArgs` to the proxy. On failure the children
 * started so far are in `children` (the caller stops them).
 */
export async function startFleet(
  stores: string[],
  clientsFile: string,
  vtnArgs: string[],
  proxyArgs: string[],
  children: ChildProcess[],
): Promise<Fleet> {
  const vtns: Fleet['vtns'] = [];
  for (const store of stores) {
    const flag = store.startsWith('postgres') ? '--pg' : '--store';
    const { child, match } = await startChild(
      ['scripts/vtn.js', '--port', '0', flag, store, '--clients', clientsFile, ...vtnArgs],
      /listening at (http:\/\/\S+?)\/openadr3/,
    );
    children.push(child);
    vtns.push({ child, url: match[1] });
  }
  const { child: proxy, match } = await startChild(
    ['bench/rr-proxy.js', ...proxyArgs, ...vtns.map((v) => v.url)],
    /PROXY (\d+)/,
  );
  children.push(proxy);
  return { vtns, proxy, origin: `http://127.0.0.1:${match[1]}`, children };
}

/** The benches' price event number `i`: a day of 24 hourly PRICE intervals. */
export function priceEvent(programID: string, i: number): Record<string, unknown> {
  return {
    programID,
    eventName: `prices-${i}`,
    intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
    intervals: Array.from({ length: 24 }, (_, id) => ({
      id,
      payloads: [{ type: 'PRICE', values: [0.1 + id / 100] }],
    })),
  };
}

/**
 * Through `origin`: a program, EVENTS events of 24 price intervals, and `count` VENs (tokens of
 * the clients writeClients made, a ven object each, 20 at a time). Returns the load generator's
 * VENs — each polls the program's events and reports on the last event — and the ids.
 */
export async function seedFleet(
  origin: string,
  count: number,
): Promise<{ vens: LoadVen[]; programID: string; eventID: string; blToken: string }> {
  const base = `${origin}/openadr3/3.0.1`;
  const bl = await token(base, 'bl_client', '1001');
  const program = await post(`${base}/programs`, bl, { programName: 'scale' });
  let event = { id: '' };
  for (let i = 0; i < EVENTS; i++) event = await post(`${base}/events`, bl, priceEvent(program.id, i));
  // Every VEN: its own token and its own ven object, as a real fleet would have.
  const names = Array.from({ length: count }, (_, i) => venName(i));
  const vens = await inParallel(names, 20, async (name) => {
    const t = await token(base, name, `secret-${name}`);
    await post(`${base}/vens`, t, { venName: name });
    return {
      token: t,
      poll: `/openadr3/3.0.1/events?programID=${program.id}`,
      report: {
        path: '/openadr3/3.0.1/reports',
        body: JSON.stringify({
          programID: program.id,
          eventID: event.id,
          clientName: name,
          resources: [
            { resourceName: 'tank', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] },
          ],
        }),
      },
    };
  });
  return { vens, programID: program.id, eventID: event.id, blToken: bl };
}

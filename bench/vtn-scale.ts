/**
 * npm run bench:vtn-scale — 1, 2 and 3 VTN processes (`npm run vtn -- --pg URL`) on one
 * PostgreSQL database behind a small round-robin proxy (bench/rr-proxy.js), and one SQLite VTN
 * process behind the same proxy as the baseline, in one run. The load is VENs polling
 * `GET /events?programID=…` with one report POST in every ten requests (autocannon):
 * first at a fixed 1,700 req/s (100,000 heaters polling once a minute), then flat out.
 * Prints req/s, p99 and errors for each, and the ratios against SQLite.
 * Target (issue 10): 0 errors and p99 < 50 ms at 1,700 req/s; throughput not falling as
 * instances are added (on 2 cores shared with the database and the load generator it cannot rise).
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import autocannon from 'autocannon';
import pg from 'pg';

const root = path.resolve(__dirname, '..');
const ADMIN = process.env.VTN_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RATE = Number(process.env.BENCH_RATE ?? 1700);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const INSTANCES = (process.env.BENCH_INSTANCES ?? '1,2,3').split(',').map(Number);
const EVENTS = 10;

interface Run {
  rps: number;
  p99: number;
  errors: number;
}

function startChild(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function admin(sql: string): Promise<void> {
  const c = new pg.Client(ADMIN);
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function post(url: string, token: string, body: unknown): Promise<{ id: string }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`POST ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as { id: string };
}

async function token(base: string, id: string, secret: string): Promise<string> {
  const r = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}`,
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

/** Start the VTNs and the proxy, seed a program and events, load it twice, stop everything. */
async function measure(label: string, stores: string[]): Promise<{ fixed: Run; max: Run }> {
  const children: ChildProcess[] = [];
  try {
    // One after the other: the first one creates the schema (the others would wait on its lock).
    const urls: string[] = [];
    for (const store of stores) {
      const flag = store.startsWith('postgres') ? '--pg' : '--store';
      const { child, match } = await startChild(
        ['scripts/vtn.js', '--port', '0', flag, store],
        /listening at (http:\/\/\S+?)\/openadr3/,
      );
      children.push(child);
      urls.push(match[1]);
    }
    const { child: proxy, match } = await startChild(['bench/rr-proxy.js', ...urls], /PROXY (\d+)/);
    children.push(proxy);
    const origin = `http://127.0.0.1:${match[1]}`;
    const base = `${origin}/openadr3/3.0.1`;
    const bl = await token(base, 'bl_client', '1001');
    const ven = await token(base, 'ven_client', '999');
    const program = await post(`${base}/programs`, bl, { programName: 'scale' });
    let event = { id: '' };
    for (let i = 0; i < EVENTS; i++)
      event = await post(`${base}/events`, bl, {
        programID: program.id,
        eventName: `prices-${i}`,
        intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
        intervals: Array.from({ length: 24 }, (_, id) => ({
          id,
          payloads: [{ type: 'PRICE', values: [0.1 + id / 100] }],
        })),
      });
    const poll = { method: 'GET', path: `/openadr3/3.0.1/events?programID=${program.id}` };
    const report = {
      method: 'POST',
      path: '/openadr3/3.0.1/reports',
      headers: { authorization: `Bearer ${ven}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        programID: program.id,
        eventID: event.id,
        clientName: 'hpwh',
        resources: [
          { resourceName: 'tank', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] },
        ],
      }),
    };
    const requests = [...Array.from({ length: 9 }, () => poll), report];
    const run = async (overallRate?: number): Promise<Run> => {
      const r = await autocannon({
        url: origin,
        connections: CONNECTIONS,
        duration: DURATION_S,
        headers: { authorization: `Bearer ${ven}` },
        requests,
        workers: 1,
        ...(overallRate ? { overallRate } : {}),
      });
      return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
    };
    await run(RATE / 4); // warm up (JIT, pools, caches) at a quarter of the rate
    const fixed = await run(RATE);
    const max = await run();
    console.log(
      `${label.padEnd(24)} at ${RATE}/s: ${fixed.rps.toFixed(0).padStart(5)} req/s, p99 ${String(fixed.p99).padStart(4)} ms, ${fixed.errors} errors | flat out: ${max.rps.toFixed(0).padStart(5)} req/s, p99 ${String(max.p99).padStart(4)} ms, ${max.errors} errors`,
    );
    return { fixed, max };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  console.log(
    `load: ${CONNECTIONS} connections, 9 polls (10 events × 24 intervals) : 1 report, ${DURATION_S} s per run, ${os.cpus().length} CPUs`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-scale-'));
  const results: Array<{ label: string; fixed: Run; max: Run }> = [];
  try {
    results.push({
      label: 'SQLite, 1 process',
      ...(await measure('SQLite, 1 process', [path.join(dir, 'vtn.db')])),
    });
    for (const n of INSTANCES) {
      const name = `vtn_bench_${process.pid}_${n}`;
      await admin(`CREATE DATABASE ${name}`);
      const url = new URL(ADMIN);
      url.pathname = `/${name}`;
      try {
        const label = `PostgreSQL, ${n} process${n > 1 ? 'es' : ''}`;
        results.push({
          label,
          ...(await measure(
            label,
            Array.from({ length: n }, () => url.toString()),
          )),
        });
      } finally {
        await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const base = results[0];
  console.log(
    '\nratios against SQLite (flat-out req/s), and the 1,700 req/s target (p99 < 50 ms, 0 errors):',
  );
  for (const r of results)
    console.log(
      `${r.label.padEnd(24)} ${(r.max.rps / base.max.rps).toFixed(2)}×  ${r.fixed.p99 < 50 && r.fixed.errors === 0 && r.fixed.rps >= RATE * 0.95 ? 'meets' : 'MISSES'} the target`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

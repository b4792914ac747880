/**
 * npm run bench:vtn-scale — 1, 2 and 3 VTN processes (`npm run vtn -- --pg URL`) on one
 * PostgreSQL database behind a small round-robin proxy (bench/rr-proxy.js), and one SQLite VTN
 * process behind the same proxy as the baseline, in one run.
 * The load (bench/vtn-load.js, a process of its own): BENCH_VENS (2,000) distinct VENs, each its
 * own VEN client, token and ven object (venName), polling `GET /events?programID=…` (10 events of
 * 24 intervals), with every 10th request a report POST (9 polls : 1 report) — first at a fixed
 * BENCH_RATE (1,700 req/s: 100,000 heaters polling once a minute), timed from when each request was
 * due, then flat out with BENCH_CONNECTIONS in flight. Prints a table: req/s, p50/p99 and errors.
 * Target (issue 10): 0 errors and p99 < 50 ms at 1,700 req/s; throughput not falling as
 * instances are added (on 2 cores shared with the database, the proxy and the load generator it
 * cannot rise much). BENCH_PROXY=http balances per request instead of per connection.
 * Each PostgreSQL setup runs once per poll check in BENCH_CONSISTENCY (default "strict,notify":
 * a counter read per poll vs trusting LISTEN/NOTIFY, `npm run vtn -- --consistency`).
 * BENCH_MQTT=1: every VTN also publishes to the local Mosquitto and counts the change events it
 * hears; a second table shows the fixed-rate run's fan-out (bench/fanout.ts).
 * BENCH_ROUNDS=5: every setup five times, interleaved, then a table of medians and of ratios within a round.
 * BENCH_VTN_CPU=0.25: each VTN process held to a quarter core (bench/cpu-limit.ts), so instances
 * are measured where they, not the 2 cores, are the limit.
 * BENCH_FAULT=1: the kill -9 fault scenario at this load instead (see fault() below).
 * Polls accept gzip (BENCH_GZIP=0: they don't), as VENs on fetch, requests or reqwest do.
 */
import { type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import { limitCpu, type CpuLimit } from './cpu-limit';
import * as fanout from './fanout';
import { describeFault, runFault } from './vtn-fault';
import { ADMIN, EVENTS, admin, runLoad, seedFleet, startFleet, writeClients, type Run } from './vtn-fleet';

const RATE = Number(process.env.BENCH_RATE ?? 1700);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const INSTANCES = (process.env.BENCH_INSTANCES ?? '1,2,3').split(',').map(Number);
const VENS = Number(process.env.BENCH_VENS ?? 2000);
const PROXY = process.env.BENCH_PROXY === 'http' ? ['--http'] : [];
/** PostgreSQL connections per VTN process (BENCH_POOL); 30 backends on 2 cores only contend. */
const POOL = ['--pool', process.env.BENCH_POOL ?? '4'];
const REPORT_EVERY = Number(process.env.BENCH_REPORT_EVERY ?? 10);
/** How the PostgreSQL VTNs check cached polls (`--consistency`): each listed mode is measured. */
const CONSISTENCIES = (process.env.BENCH_CONSISTENCY ?? 'strict,notify').split(',');
const GZIP = process.env.BENCH_GZIP !== '0';
/** BENCH_ROUNDS: measure every setup this many times, interleaved, and print the medians. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
/**
 * BENCH_VTN_CPU=0.25: each VTN process gets at most this share of a core (a cgroup quota; see
 * bench/cpu-limit.ts) — the VTNs, not the machine, are then the limit, as on hosts of their own.
 */
const VTN_CPU = process.env.BENCH_VTN_CPU ? Number(process.env.BENCH_VTN_CPU) : undefined;

type Result = { label: string; round: number; fixed: Run; max: Run };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The rounds in one table per setup: p99 at the fixed rate of every round, errors in all, flat-out
 * req/s of every round and their median, and — the scaling question — flat-out req/s against one
 * process of the same store and poll check *in the same round*, with the median of those ratios.
 */
function summarize(results: Result[]): void {
  console.log(
    `\n| setup (${ROUNDS} rounds) | p99 at ${RATE} req/s, each round | errors | flat out req/s, each round | median | vs 1 process, each round | median ratio | VTN preemptions per request flat out (median) |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const labels = [...new Set(results.map((r) => r.label))];
  for (const label of labels) {
    const rs = results.filter((r) => r.label === label);
    const oneLabel = label.replace(/\d+ process(es)?/, '1 process');
    const ratios = rs.flatMap((r) => {
      const one = results.find((x) => x.label === oneLabel && x.round === r.round);
      return one && one !== r ? [r.max.rps / one.max.rps] : [];
    });
    const errors = rs.reduce((a, r) => a + r.fixed.errors + r.max.errors, 0);
    console.log(
      `| ${label} | ${rs.map((r) => ms(r.fixed.p99)).join(', ')} | ${errors} | ${rs.map((r) => r.max.rps.toFixed(0)).join(', ')} | ` +
        `${median(rs.map((r) => r.max.rps)).toFixed(0)} | ${ratios.map((x) => x.toFixed(2)).join(', ') || '–'} | ` +
        `${ratios.length ? median(ratios).toFixed(2) + '×' : '–'} | ${median(rs.map((r) => r.max.cost?.['vtn preempted'] ?? 0)).toFixed(2)} |`,
    );
  }
}

/** user + system CPU ms of a process so far (Linux /proc), 0 when unreadable. */
function cpuOf(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in ticks of 1/100 s
  } catch {
    return 0;
  }
}

/**
 * Context switches of a process so far (Linux /proc): [voluntary — it waited for input,
 * involuntary — the scheduler took the core away while it had work]; [0, 0] when unreadable.
 */
function switchesOf(pid: number | undefined): [number, number] {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const count = (name: string): number =>
      Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return [count('voluntary_ctxt_switches'), count('nonvoluntary_ctxt_switches')];
  } catch {
    return [0, 0];
  }
}

/** The server processes serving one database (PostgreSQL backends of the VTNs' pools). */
async function backendPids(database: string | undefined): Promise<number[]> {
  if (!database) return [];
  const c = new pg.Client(ADMIN);
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
      database,
    ]);
    return r.rows.map((x) => x.pid);
  } finally {
    await c.end();
  }
}

/** Start the VTNs and the proxy, seed a program, events and the VENs, load it, stop everything. */
async function measure(
  dir: string,
  clientsFile: string,
  stores: string[],
  consistency = 'strict',
): Promise<{ fixed: Run; max: Run }> {
  const children: ChildProcess[] = [];
  const limits: CpuLimit[] = [];
  let fan: fanout.Fanout | undefined;
  try {
    const { proxy, origin } = await startFleet(
      stores,
      clientsFile,
      [
        ...POOL,
        ...(stores[0].startsWith('postgres') ? ['--consistency', consistency] : []),
        ...fanout.vtnArgs(), // BENCH_MQTT=1
      ],
      PROXY,
      children,
    );
    if (VTN_CPU !== undefined)
      children
        .slice(0, stores.length)
        .forEach((c, i) => limits.push(limitCpu(c.pid!, VTN_CPU, `vtn-scale-${process.pid}-${i}`)));
    const { vens } = await seedFleet(origin, VENS);
    const plan = {
      origin,
      connections: CONNECTIONS,
      reportEvery: REPORT_EVERY,
      vens,
      gzip: GZIP,
      pollItems: EVENTS,
    };
    // Warm up (JIT, pools, each VEN's first poll on each instance: the page caches are per
    // process and the proxy spreads connections, not VENs) at half the rate.
    const warmup = Math.max(4, Math.ceil((2 * VENS * stores.length) / (RATE / 2)));
    await runLoad(dir, { ...plan, mode: 'fixed', rate: RATE / 2, seconds: warmup });
    const database = stores[0].startsWith('postgres') ? new URL(stores[0]).pathname.slice(1) : undefined;
    const costed = async (p: Record<string, unknown>): Promise<Run> => {
      const vtnPids = children.slice(0, stores.length).map((c) => c.pid);
      const pgPids = await backendPids(database);
      const switches = (): [number, number] =>
        vtnPids.map(switchesOf).reduce(([v, i], [a, b]) => [v + a, i + b], [0, 0]);
      const before = {
        vtn: vtnPids.map(cpuOf),
        pg: pgPids.map(cpuOf),
        proxy: cpuOf(proxy.pid),
        switches: switches(),
      };
      const r = await runLoad(dir, p);
      const n = r.rps * DURATION_S;
      const switched = switches();
      const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
      r.cost = {
        vtn: (sum(vtnPids.map(cpuOf)) - sum(before.vtn)) / n,
        ...(database ? { pg: (sum(pgPids.map(cpuOf)) - sum(before.pg)) / n } : {}),
        proxy: (cpuOf(proxy.pid) - before.proxy) / n,
        load: r.cpuMs / n,
        // Why a process costs more per request when more processes share the cores: how often
        // the VTNs were preempted (involuntary) or went idle waiting for input (voluntary).
        'vtn switches': (switched[0] - before.switches[0]) / n,
        'vtn preempted': (switched[1] - before.switches[1]) / n,
      };
      return r;
    };
    if (fanout.ENABLED) fan = await fanout.Fanout.attach(children.slice(0, stores.length));
    await fan?.reset();
    const fixed = await costed({ ...plan, mode: 'fixed', rate: RATE, seconds: DURATION_S });
    if (fan) fixed.fanout = await fan.collect(fixed.statuses['201'] ?? 0);
    const max = await costed({ ...plan, mode: 'max', seconds: DURATION_S });
    return { fixed, max };
  } finally {
    await fan?.close();
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const l of limits) l.remove();
  }
}

const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : x.toFixed(0)} ms`;
const errs = (r: Run): string =>
  r.errors === 0
    ? '0'
    : `${r.errors} (${Object.entries(r.statuses)
        .filter(([k]) => !/^2/.test(k))
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')})`;

/**
 * BENCH_FAULT=1: instead of the table, the fault scenario (bench/vtn-fault.ts) at this load — two
 * PostgreSQL VTN processes, kill -9 of one halfway through the fixed-rate run — and its checks.
 */
async function fault(): Promise<boolean> {
  const name = `vtn_fault_${process.pid}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-fault-'));
  try {
    console.log(
      `fault: 2 PostgreSQL VTN processes (${CONSISTENCIES[0]}), ${VENS} VENs, fixed ${RATE} req/s for ${DURATION_S} s ` +
        `with ${CONNECTIONS} connections after a warm-up of polls at half the rate, a webhook for every report, kill -9 of one after ${DURATION_S / 2} s; ` +
        `${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at start`,
    );
    const r = await runFault({
      pgUrl: url.toString(),
      dir,
      vens: VENS,
      rate: RATE,
      seconds: DURATION_S,
      connections: CONNECTIONS,
      killAfterMs: (DURATION_S * 1000) / 2,
      // As measure() does: every VEN's first poll on both instances happens before the clock runs.
      warmupS: Math.max(4, Math.ceil((2 * VENS * 2) / (RATE / 2))),
      reportEvery: REPORT_EVERY,
      vtnArgs: [...POOL, '--consistency', CONSISTENCIES[0]],
      webhookTimeoutMs: 2000,
      webhookPollMs: 200,
      log: (line) => console.log(line),
    });
    const lines = describeFault(r, RATE);
    for (const line of lines) console.log(line);
    return lines.every((l) => !l.startsWith('FAILED'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_FAULT === '1') {
    if (!(await fault())) process.exitCode = 1;
    return;
  }
  console.log(
    `load: ${VENS} VENs (own client, token, ven object each), ${REPORT_EVERY - 1} event polls (${EVENTS} events × 24 intervals) : 1 report POST, ` +
      `fixed ${RATE} req/s and flat out with ${CONNECTIONS} in flight, ${DURATION_S} s each; proxy per ${PROXY.length ? 'request' : 'connection'}; ` +
      `polls ${GZIP ? 'accept gzip' : 'without Accept-Encoding'}; ` +
      `${VTN_CPU !== undefined ? `each VTN process held to ${VTN_CPU} of a core; ` : ''}` +
      `${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at start`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-scale-'));
  const clientsFile = path.join(dir, 'clients.txt');
  writeClients(clientsFile, VENS);
  const results: Result[] = [];
  const cost = (run: Run): string =>
    Object.entries(run.cost ?? {})
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
  const show = (r: Result): void => {
    const base = results.find((x) => x.round === r.round && x.label.startsWith('SQLite'));
    const vs = base && base !== r ? (r.max.rps / base.max.rps).toFixed(2) + '×' : '';
    const meets = r.fixed.p99 < 50 && r.fixed.errors === 0 && r.fixed.rps >= RATE * 0.95;
    const label = ROUNDS > 1 ? `${r.label}, round ${r.round}` : r.label;
    console.log(
      `| ${label.padEnd(31)} | ${r.fixed.rps.toFixed(0).padStart(5)} req/s, p50 ${ms(r.fixed.p50)}, p99 ${ms(r.fixed.p99)} (polls ${ms(r.fixed.pollP99)}, reports ${ms(r.fixed.reportP99)}), errors ${errs(r.fixed)} | ` +
        `${r.max.rps.toFixed(0).padStart(5)} req/s, p99 ${ms(r.max.p99)}, errors ${errs(r.max)} | ${vs.padStart(5)} | ${meets ? 'meets' : 'MISSES'} | ` +
        `${cost(r.fixed)} | ${cost(r.max)} |`,
    );
  };
  console.log(
    `\n| store, processes, poll check    | at a fixed ${RATE} req/s: served, p50, p99 (of polls, of reports), errors | flat out: req/s, p99, errors | flat out vs SQLite | target | CPU ms per request at the fixed rate | CPU ms per request flat out |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  try {
    // Rounds interleave the setups (1, 2, 3 processes, then again), so a slow minute of the
    // machine hits every setup alike instead of one; each ratio compares setups of one round.
    for (let round = 1; round <= ROUNDS; round++) {
      if (process.env.BENCH_SQLITE !== '0') {
        const sqlite = {
          label: 'SQLite, 1 process',
          round,
          ...(await measure(dir, clientsFile, [path.join(dir, 'vtn.db')])),
        };
        for (const f of ['vtn.db', 'vtn.db-wal', 'vtn.db-shm']) fs.rmSync(path.join(dir, f), { force: true });
        results.push(sqlite);
        show(sqlite);
      }
      for (const consistency of CONSISTENCIES)
        for (const n of INSTANCES) {
          const name = `vtn_bench_${process.pid}_${n}`;
          await admin(`CREATE DATABASE ${name}`);
          const url = new URL(ADMIN);
          url.pathname = `/${name}`;
          try {
            const label = `PostgreSQL, ${n} process${n > 1 ? 'es' : ''}, ${consistency}`;
            const r = {
              label,
              round,
              ...(await measure(
                dir,
                clientsFile,
                Array.from({ length: n }, () => url.toString()),
                consistency,
              )),
            };
            results.push(r);
            show(r);
          } finally {
            await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          }
        }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (ROUNDS > 1) summarize(results);
  fanout.printFanout(
    results.map((r) => ({
      label: ROUNDS > 1 ? `${r.label}, round ${r.round}` : r.label,
      fanout: r.fixed.fanout,
    })),
  );
  console.log(
    `\nload average at the end: ${os.loadavg()[0].toFixed(1)} (other work on the machine skews every figure)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

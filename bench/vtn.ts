/**
 * npm run bench:vtn — a VEN polling `GET /events?programID=…` (1,000 stored events, 100 concurrent
 * clients, autocannon) against the VTN, and the same load against a bare Node http server that
 * returns the same bytes, in one run. Prints req/s, p99 latency and the ratio.
 * Target (issue 3): VTN ≥ 40% of the bare server's req/s, p99 < 25 ms.
 * Then the same over TLS: the VTN serving HTTPS against a bare Node `https` server with the same
 * certificate and the same bytes (keep-alive connections, as polling VENs keep them; the handshakes
 * are in the warm-up). Target: ≥ 90% of the bare https server's req/s, p99 < 25 ms.
 *
 * Both servers run in a child process (bench/vtn-target.ts) and autocannon runs here, so the load
 * generator never shares an event loop or a heap with the server it measures. On a 2-core machine
 * that gives each side one core; in an earlier design autocannon ran in a worker thread of the
 * server's own process, and the bare server's p99 (36–123 ms) measured the load generator's
 * garbage collection more than the server.
 */
import { spawn } from 'child_process';
import path from 'path';
import readline from 'readline';
import autocannon from 'autocannon';

const CONNECTIONS = 100;
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Target {
  vtnPollUrl: string;
  barePollUrl: string;
  token: string;
  bytes: number;
  events: number;
  vtnTlsPollUrl: string;
  bareTlsPollUrl: string;
  tlsToken: string;
  tlsBytes: number;
}
interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, token: string, duration = DURATION_S): Promise<Run> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

async function startTarget(): Promise<{ target: Target; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'vtn-target.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => {
      rl.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`bench target exited with ${code}`)));
  });
  return { target: JSON.parse(firstLine) as Target, stop: () => child.stdin.end() };
}

const avg = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Rounds of the bare server and the VTN, alternating; prints each round and the ratio. */
async function compare(
  label: string,
  bareUrl: string,
  vtnUrl: string,
  token: string,
  targetPct: number,
): Promise<void> {
  // Warm both servers' JIT and sockets before anything is counted.
  await load(bareUrl, token, 1);
  await load(vtnUrl, token, 1);
  const bareRuns: Run[] = [];
  const vtnRuns: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which server goes first so drift on a shared machine affects both alike.
    const order = round % 2 === 1 ? (['bare', 'vtn'] as const) : (['vtn', 'bare'] as const);
    for (const which of order) {
      const run = await load(which === 'bare' ? bareUrl : vtnUrl, token);
      (which === 'bare' ? bareRuns : vtnRuns).push(run);
    }
    const b = bareRuns[bareRuns.length - 1];
    const v = vtnRuns[vtnRuns.length - 1];
    console.log(
      `${label} round ${round}: bare ${b.rps.toFixed(0)} req/s (p50 ${b.p50} ms, p99 ${b.p99} ms) · ` +
        `VTN ${v.rps.toFixed(0)} req/s (p50 ${v.p50} ms, p99 ${v.p99} ms, errors ${v.errors}, non-2xx ${v.non2xx})`,
    );
  }
  const bareRps = avg(bareRuns.map((r) => r.rps));
  const vtnRps = avg(vtnRuns.map((r) => r.rps));
  const bareP99 = median(bareRuns.map((r) => r.p99));
  const vtnP99 = median(vtnRuns.map((r) => r.p99));
  const vtnP99Worst = Math.max(...vtnRuns.map((r) => r.p99));
  const failures = vtnRuns.reduce((n, r) => n + r.errors + r.non2xx, 0);
  console.log(`bare ${label}: ${bareRps.toFixed(0)} req/s, p99 median ${bareP99} ms`);
  console.log(
    `VTN  ${label}: ${vtnRps.toFixed(0)} req/s, p99 median ${vtnP99} ms (worst round ${vtnP99Worst} ms)`,
  );
  console.log(
    `ratio VTN/bare (${label.trim()}): ${((vtnRps / bareRps) * 100).toFixed(1)}% (target ≥ ${targetPct}%), ` +
      `p99 ${vtnP99} ms (target < 25 ms), errors ${failures}`,
  );
}

async function main(): Promise<void> {
  const { target, stop } = await startTarget();
  try {
    console.log(
      `response: ${target.bytes} bytes, ${target.events} events per page; ${CONNECTIONS} connections, ` +
        `${ROUNDS} rounds of ${DURATION_S} s; servers in their own process, load generator in this one`,
    );
    await compare('http ', target.barePollUrl, target.vtnPollUrl, target.token, 40);
    console.log(
      `\nover TLS: ${target.tlsBytes} bytes per page, the VTN on HTTPS against a bare https server`,
    );
    await compare('https', target.bareTlsPollUrl, target.vtnTlsPollUrl, target.tlsToken, 90);
  } finally {
    stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

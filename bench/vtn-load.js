// The load generator of bench:vtn-scale, in a process of its own: `node bench/vtn-load.js plan.json`.
// plan: {origin, mode: 'fixed'|'max', rate, seconds, connections, reportEvery, vens: [{token, poll,
// report}]} where poll is a path and report a {path, body}. Request k is VEN k mod N's: its poll,
// or, every reportEvery-th request, its report POST. Prints one JSON line of results.
// 'fixed': open loop at `rate` requests/s; each latency is measured from the time the request
// was DUE, so a VTN that falls behind shows it in p99 (no coordinated omission). 'max': closed
// loop, `connections` requests in flight, as fast as answers come.
'use strict';
const fs = require('fs');
const http = require('http');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const origin = new URL(plan.origin);
const agent = new http.Agent({ keepAlive: true, maxSockets: plan.connections });
const latencies = [];
const byKind = { poll: [], report: [] };
const statuses = {};
let errors = 0;
let sent = 0;
let done = 0;

function send(dueAt) {
  return new Promise((resolve) => {
    const k = sent++;
    const ven = plan.vens[k % plan.vens.length];
    const report = k % plan.reportEvery === plan.reportEvery - 1;
    const body = report ? ven.report.body : undefined;
    const req = http.request(
      {
        host: origin.hostname,
        port: origin.port,
        agent,
        method: report ? 'POST' : 'GET',
        path: report ? ven.report.path : ven.poll,
        headers: {
          authorization: `Bearer ${ven.token}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 300) errors++;
          const ms = performance.now() - dueAt;
          latencies.push(ms);
          byKind[report ? 'report' : 'poll'].push(ms);
          done++;
          resolve();
        });
      },
    );
    req.on('error', (err) => {
      errors++;
      statuses[err.code ?? 'error'] = (statuses[err.code ?? 'error'] ?? 0) + 1;
      latencies.push(performance.now() - dueAt);
      done++;
      resolve();
    });
    req.end(body);
  });
}

async function main() {
  const start = performance.now();
  const end = start + plan.seconds * 1000;
  if (plan.mode === 'fixed') {
    const interval = 1000 / plan.rate;
    let k = 0;
    const inFlight = new Set();
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        // Everything due by now goes out now, each timed from when it was due.
        while (start + k * interval <= now && start + k * interval < end) {
          const p = send(start + k * interval);
          inFlight.add(p);
          p.then(() => inFlight.delete(p));
          k++;
        }
        if (start + k * interval >= end) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    // Answers still outstanding count with their full latency (bounded wait).
    await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, 10000))]);
  } else {
    const loop = async () => {
      while (performance.now() < end) await send(performance.now());
    };
    await Promise.all(Array.from({ length: plan.connections }, loop));
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0;
  const missing = sent - done;
  console.log(
    JSON.stringify({
      rps: done / Math.max(elapsed, plan.seconds),
      p50: q(0.5),
      p99: q(0.99),
      max: latencies.at(-1) ?? 0,
      pollP99: q(0.99, byKind.poll),
      reportP99: q(0.99, byKind.report),
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      errors: errors + missing,
      requests: sent,
      statuses,
    }),
  );
  agent.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

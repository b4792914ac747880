// The load generator of bench:vtn-scale, in a process of its own: `node bench/vtn-load.js plan.json`.
// plan: {origin, mode: 'fixed'|'max', rate, seconds, connections, reportEvery, vens: [{token, poll,
// report}], recordFile?, gzip, pollItems} where poll is a path and report a {path, body}. gzip
// (default true): polls send `Accept-Encoding: gzip`, as VENs on fetch, requests or curl
// --compressed do. Every CHECK_EVERY-th poll answer is decoded and must be a JSON array of
// pollItems entries (else it counts as an HTTP error, "bad body"); the rest are framed, not
// decoded, to keep this process cheap. Request k is VEN k mod N's:
// its poll, or, every reportEvery-th request, its report POST. Prints one JSON line of results
// (failures: requests on a connection that failed, by HTTP error status, and unanswered at the end).
// A connection that fails is replaced by a new one for the next request (through the proxy, that
// may be another VTN instance).
// 'fixed': open loop at `rate` requests/s; each latency is measured from the time the request
// was DUE, so a VTN that falls behind shows it in p99 (no coordinated omission). 'max': closed
// loop, `connections` requests in flight, as fast as answers come.
'use strict';
const fs = require('fs');
const net = require('net');
const zlib = require('zlib');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const origin = new URL(plan.origin);
const latencies = [];
const byKind = { poll: [], report: [] };
const statuses = {};
let errors = 0;
let sent = 0;
let done = 0;

// Requests are built once, as bytes: the VENs are simulated here, but on the same two cores as the
// VTNs, so the load generator must cost as little as it can (a raw keep-alive HTTP/1.1 client, as
// autocannon's; node's http client cost more CPU per request than the VTN serving it).
const host = `${origin.hostname}:${origin.port}`;
const acceptGzip = plan.gzip === false ? '' : 'Accept-Encoding: gzip\r\n';
const CHECK_EVERY = 97;
/** Below the VTN's keepAliveTimeout (5 s). */
const IDLE_REUSE_MS = 4000;
const built = plan.vens.map((v) => ({
  poll: Buffer.from(
    `GET ${v.poll} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${v.token}\r\n${acceptGzip}\r\n`,
  ),
  report: Buffer.from(
    `POST ${v.report.path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${v.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(v.report.body)}\r\n\r\n${v.report.body}`,
  ),
}));

/** One keep-alive connection: one request at a time, answers framed by Content-Length. */
class Conn {
  constructor() {
    this.lastUsed = performance.now();
    this.pending = undefined;
    this.buf = Buffer.alloc(0);
    this.open();
  }
  open() {
    // Every handler is bound to its own socket: a dead socket's late 'close' must not fail the
    // request already sent on its replacement (that would cascade through the queue).
    const sock = net.connect(Number(origin.port), origin.hostname);
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.broken = false;
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      if (sock === this.sock) this.onData(d);
    });
    const fail = (err) => {
      sock.destroy();
      if (sock !== this.sock || this.broken) return;
      this.broken = true;
      const p = this.pending;
      this.pending = undefined;
      if (p) p.finish(err && err.code ? err.code : 'closed');
    };
    sock.on('error', fail);
    sock.on('close', () => fail());
  }
  /**
   * Send `bytes`; `finish(status | error code, body)` — body only when `wantBody`; `check`: a
   * 200 whose body fails the spot check (bodyIsGood) finishes as 'bad body'.
   */
  send(bytes, finish, wantBody, check) {
    if (this.broken)
      this.open(); // the connection died: a new one, and the load goes on
    else if (performance.now() - this.lastUsed > IDLE_REUSE_MS) {
      // The server closes keep-alive connections idle for 5 s: a request written just as it does
      // would fail for no fault of the VTN. Like HTTP client agents, do not reuse one that old.
      this.sock.destroy();
      this.open();
    }
    this.pending = { finish, wantBody, check };
    this.sock.write(bytes);
  }
  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const total = end + 4 + (m ? Number(m[1]) : 0);
      if (this.buf.length < total) return;
      let status = Number(head.slice(9, 12));
      const p = this.pending;
      if (p && p.check && status === 200 && !bodyIsGood(head, this.buf.subarray(end + 4, total)))
        status = 'bad body';
      const body = p && p.wantBody ? this.buf.toString('utf8', end + 4, total) : undefined;
      this.buf = this.buf.subarray(total);
      this.pending = undefined;
      this.lastUsed = performance.now();
      if (p) p.finish(status, body);
    }
  }
}

// plan.recordFile: what a fault test needs, written at the end — every report acknowledged with a
// 201 (its id, and when), reports that failed by kind, and all answers in time buckets. Off, none
// of it is kept (the bench figures are the same with and without this code).
const record = plan.recordFile
  ? {
      startedAt: 0,
      bucketMs: 250,
      /** [2xx, connection errors, HTTP statuses >= 300] per bucket, by time of the answer. */
      buckets: [],
      acknowledged: [],
      reportFailures: { connection: 0, http: 0 },
      /** Every failed request: when (ms after the start), the error code or HTTP status, a report? */
      failed: [],
    }
  : undefined;
let startedAt = 0;

function noteForRecord(status, body, report) {
  const at = performance.now() - startedAt;
  const b = Math.floor(at / record.bucketMs);
  while (record.buckets.length <= b) record.buckets.push([0, 0, 0]);
  const kind = status === 'bad body' ? 2 : typeof status !== 'number' ? 1 : status >= 300 ? 2 : 0;
  record.buckets[b][kind]++;
  if (kind) record.failed.push({ at: Math.round(at), status, report });
  if (!report) return;
  if (status === 201) {
    const m = /"id"\s*:\s*"([^"]+)"/.exec(body ?? '');
    record.acknowledged.push({ id: m ? m[1] : null, at: Math.round(at) });
  } else if (kind === 1) record.reportFailures.connection++;
  else record.reportFailures.http++;
}

/** A spot check of one poll answer: decodes (gzip or not) to an array of plan.pollItems entries. */
function bodyIsGood(head, body) {
  try {
    const bytes = /\r\ncontent-encoding:\s*gzip/i.test(head) ? zlib.gunzipSync(body) : body;
    const items = JSON.parse(bytes.toString('utf8'));
    return Array.isArray(items) && (plan.pollItems === undefined || items.length === plan.pollItems);
  } catch {
    return false;
  }
}

/** Send request k (VEN k mod N: its poll, or every reportEvery-th, its report) on `conn`. */
function send(conn, dueAt, after) {
  const k = sent++;
  const ven = built[k % built.length];
  const report = k % plan.reportEvery === plan.reportEvery - 1;
  conn.send(
    report ? ven.report : ven.poll,
    (status, body) => {
      if (record) noteForRecord(status, body, report);
      const ms = performance.now() - dueAt;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (typeof status !== 'number' || status >= 300) errors++;
      latencies.push(ms);
      byKind[report ? 'report' : 'poll'].push(ms);
      done++;
      after();
    },
    record !== undefined && report,
    !report && k % CHECK_EVERY === 0,
  );
}

async function main() {
  const conns = Array.from({ length: plan.connections }, () => new Conn());
  const start = performance.now();
  startedAt = start;
  if (record) record.startedAt = Date.now();
  const end = start + plan.seconds * 1000;
  if (plan.mode === 'fixed') {
    // Open loop: request k is due at start + k/rate whatever the answers do; a due request waits
    // for a free connection, and its latency counts from when it was due.
    const interval = 1000 / plan.rate;
    const idle = [...conns];
    const queue = [];
    let k = 0;
    const free = (conn) => {
      const due = queue.shift();
      if (due !== undefined) send(conn, due, () => free(conn));
      else idle.push(conn);
    };
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (start + k * interval <= now && start + k * interval < end) {
          const due = start + k * interval;
          k++;
          const conn = idle.pop();
          if (conn) send(conn, due, () => free(conn));
          else queue.push(due);
        }
        if (start + k * interval >= end) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    // Answers still outstanding count with their full latency (bounded wait).
    const stopAt = performance.now() + 10000;
    while (done < k && performance.now() < stopAt) await new Promise((r) => setTimeout(r, 5));
  } else {
    await Promise.all(
      conns.map(
        (conn) =>
          new Promise((resolve) => {
            const next = () => (performance.now() < end ? send(conn, performance.now(), next) : resolve());
            next();
          }),
      ),
    );
  }
  const elapsed = (performance.now() - start) / 1000;
  const q = (p, xs = latencies) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : 0);
  for (const xs of [latencies, byKind.poll, byKind.report]) xs.sort((a, b) => a - b);
  const unanswered = sent - done;
  if (unanswered) statuses.unanswered = unanswered;
  // Failures by kind: no answer on a connection that failed (refused, reset, closed) vs an HTTP error.
  const failures = { connection: 0, http: 0, unanswered };
  for (const [k, v] of Object.entries(statuses))
    if (k === 'unanswered') continue;
    else if (!/^\d+$/.test(k)) failures.connection += v;
    else if (Number(k) >= 300) failures.http += v;
  if (record) fs.writeFileSync(plan.recordFile, JSON.stringify(record));
  console.log(
    JSON.stringify({
      rps: done / Math.max(elapsed, plan.seconds),
      p50: q(0.5),
      p99: q(0.99),
      max: latencies.at(-1) ?? 0,
      pollP99: q(0.99, byKind.poll),
      reportP99: q(0.99, byKind.report),
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      errors: errors + unanswered,
      requests: sent,
      statuses,
      failures,
    }),
  );
  for (const c of conns) c.sock.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * The fault scenario of issue 10, shared by the fault test (test/unit/openadr/vtn-postgres-fault.test.ts,
 * CI-sized) and `BENCH_FAULT=1 npm run bench:vtn-scale` (full size): two VTN processes on one
 * PostgreSQL database behind bench/rr-proxy.js, seeded like bench:vtn-scale, a webhook
 * subscription for every report created, the bench's load (bench/vtn-load.js) — and kill -9 of one
 * instance in the middle of it. Returns what was seen; the callers check it:
 * - the survivor kept serving after the kill (answers in the load's time buckets);
 * - every report acknowledged with 201 is readable through the survivor;
 * - every acknowledged report's notification arrived, and none for a report that is not stored;
 * - each notification (X-OpenADR-Notification-ID) arrived once, except ones the killed instance
 *   was sending at the moment of the kill: those arrive twice, first from the killed instance,
 *   then from the survivor once the claim ran out — at most the delivery concurrency of them.
 * Which instance sent a notification is read from the kernel (Linux /proc): the receiver's peer
 * socket belongs to one VTN process or the other.
 */
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import type net from 'net';
import path from 'path';
import { post, runLoad, seedFleet, startFleet, writeClients, type LoadRecord, type Run } from './vtn-fleet';

/** The VTN's webhook delivery concurrency (WebhookOptions.concurrency default). */
export const DELIVERY_CONCURRENCY = 8;

export interface FaultOptions {
  /** A fresh, empty database. */
  pgUrl: string;
  /** A scratch directory (clients file, plans, the load's record). */
  dir: string;
  vens: number;
  rate: number;
  seconds: number;
  connections: number;
  /** When to kill the first instance, in ms after the load generator is started. */
  killAfterMs: number;
  /** Extra arguments for each VTN (e.g. --pool 4). */
  vtnArgs?: string[];
  /** --webhook-timeout: a claim by the killed instance runs out 2 × this + 5 s after it was taken. */
  webhookTimeoutMs: number;
  webhookPollMs: number;
  reportEvery?: number;
  /**
   * Seconds of polls only (no reports, so the checks below are about the measured load alone) at
   * half the rate before the measured load: warm JIT, pools and both instances' page caches, so
   * the latency figures show the kill, not a cold start. 0 or absent: none (the test's size).
   */
  warmupS?: number;
  /** How long the receiver holds its answers just before the kill, so the killed instance has deliveries in flight. */
  stallMs?: number;
  log?: (line: string) => void;
}

export type Sender = 'killed' | 'survivor' | 'unknown';

export interface Arrival {
  /** X-OpenADR-Notification-ID */
  nid: string;
  reportID: string;
  from: Sender;
  /** ms after the load started (wall clock) */
  at: number;
}

export interface FaultResult {
  /** The load generator's connections (half of them were the killed instance's). */
  connections: number;
  load: Run;
  record: LoadRecord;
  /** ms after the load started */
  killAt: number;
  /** 2xx answers from 1 s after the kill to the end of the load, and how many ms that is. */
  servedAfterKill: number;
  afterKillMs: number;
  /** Answers that were connection failures more than 1 s after the kill (the proxy should have moved on). */
  lateConnectionFailures: number;
  /** The first and last failed request, in ms after the kill (undefined without failures). */
  failuresFrom?: number;
  failuresTo?: number;
  acknowledged: string[];
  storedReports: number;
  arrivals: Arrival[];
  /** Acknowledged reports not readable through the survivor. */
  unreadable: string[];
  /** Acknowledged reports whose notification never arrived. */
  unnotified: string[];
  /** Notified reports that are not stored. */
  notifiedNotStored: string[];
  /** Notification ids that arrived more than once, with their arrivals. */
  duplicates: Array<{ nid: string; arrivals: Arrival[] }>;
  /** Duplicates that are not "sent by the killed instance, then once by the survivor after the kill". */
  unexplainedDuplicates: Array<{ nid: string; arrivals: Arrival[] }>;
}

/** The inode of the TCP socket with local port `localPort` connected to `remotePort` (Linux). */
function socketInode(localPort: number, remotePort: number): string | undefined {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (addr: string): number => parseInt(addr.slice(addr.lastIndexOf(':') + 1), 16);
      if (port(f[1]) === localPort && port(f[2]) === remotePort) return f[9];
    }
  }
  return undefined;
}

function ownsSocket(pid: number | undefined, inode: string): boolean {
  if (!pid) return false;
  const link = `socket:[${inode}]`;
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return true;
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // the process is gone
  }
  return false;
}

/** Read every report of `programID` through `url` (one VTN's own address), 50 at a time. */
async function readReports(url: string, token: string, programID: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let skip = 0; ; skip += 50) {
    const r = await fetch(`${url}/openadr3/3.0.1/reports?programID=${programID}&skip=${skip}&limit=50`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (r.status !== 200) throw new Error(`GET reports: ${r.status} ${await r.text()}`);
    const page = (await r.json()) as Array<{ id: string }>;
    for (const x of page) ids.add(x.id);
    if (page.length < 50) return ids;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runFault(o: FaultOptions): Promise<FaultResult> {
  const log = o.log ?? (() => {});
  const children: ChildProcess[] = [];
  const arrivalsWall: Array<Omit<Arrival, 'at'> & { wall: number }> = [];
  let killedPid: number | undefined;
  let survivorPid: number | undefined;
  let stallUntil = 0;
  const held: Array<() => void> = [];
  let killed = false;
  let port = 0;

  // The receiver: who sent each notification is decided once per connection (undici keeps them alive).
  const senderOf = new WeakMap<net.Socket, Sender>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { object?: { id?: string } };
      arrivalsWall.push({
        nid: String(req.headers['x-openadr-notification-id']),
        reportID: String(body.object?.id),
        from: senderOf.get(req.socket) ?? 'unknown',
        wall: Date.now(),
      });
      if (Date.now() < stallUntil) held.push(() => res.end());
      else res.end();
    });
    res.on('error', () => {}); // the killed instance's connections die under us
  });
  receiver.on('connection', (socket: net.Socket) => {
    socket.on('error', () => {});
    const inode = socketInode(socket.remotePort ?? 0, port);
    // A socket not among the survivor's is the killed instance's (it may be dead by now).
    const from: Sender =
      inode === undefined
        ? 'unknown'
        : ownsSocket(survivorPid, inode)
          ? 'survivor'
          : ownsSocket(killedPid, inode) || killedPid === undefined || killed
            ? 'killed'
            : 'unknown';
    senderOf.set(socket, from);
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  port = (receiver.address() as net.AddressInfo).port;

  try {
    const clientsFile = path.join(o.dir, 'clients.txt');
    writeClients(clientsFile, o.vens);
    const fleet = await startFleet(
      [o.pgUrl, o.pgUrl],
      clientsFile,
      [
        ...(o.vtnArgs ?? []),
        // The receiver is on this machine.
        '--callbacks',
        'loopback',
        '--webhook-timeout',
        String(o.webhookTimeoutMs),
        '--webhook-poll',
        String(o.webhookPollMs),
      ],
      [],
      children,
    );
    const [victim, survivor] = fleet.vtns;
    killedPid = victim.child.pid;
    survivorPid = survivor.child.pid;
    const seeded = await seedFleet(fleet.origin, o.vens);
    if (o.warmupS)
      await runLoad(o.dir, {
        origin: fleet.origin,
        connections: o.connections,
        reportEvery: Number.MAX_SAFE_INTEGER,
        vens: seeded.vens,
        mode: 'fixed',
        rate: o.rate / 2,
        seconds: o.warmupS,
      });
    await post(`${fleet.origin}/openadr3/3.0.1/subscriptions`, seeded.blToken, {
      clientName: 'fault',
      programID: seeded.programID,
      objectOperations: [
        { objects: ['REPORT'], operations: ['CREATE'], callbackUrl: `http://127.0.0.1:${port}/notify` },
      ],
    });
    log(`seeded ${o.vens} VENs; load ${o.rate} req/s for ${o.seconds} s, kill -9 after ${o.killAfterMs} ms`);

    const recordFile = path.join(o.dir, 'record.json');
    const loading = runLoad(o.dir, {
      origin: fleet.origin,
      connections: o.connections,
      reportEvery: o.reportEvery ?? 10,
      vens: seeded.vens,
      mode: 'fixed',
      rate: o.rate,
      seconds: o.seconds,
      recordFile,
    });
    const stallMs = o.stallMs ?? 300;
    await sleep(o.killAfterMs - stallMs);
    stallUntil = Date.now() + stallMs + 1000;
    await sleep(stallMs);
    victim.child.kill('SIGKILL');
    const killWall = Date.now();
    killed = true;
    stallUntil = 0;
    for (const release of held.splice(0)) release();
    const load = await loading;
    const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as LoadRecord;
    const killAt = killWall - record.startedAt;
    log(`load done: ${JSON.stringify({ rps: Math.round(load.rps), failures: load.failures })}`);

    // Answers after the kill: from 1 s after it (the in-flight ones have failed by then).
    const from = Math.ceil((killAt + 1000) / record.bucketMs);
    let servedAfterKill = 0;
    let lateConnectionFailures = 0;
    for (let b = from; b < record.buckets.length; b++) {
      servedAfterKill += record.buckets[b][0];
      lateConnectionFailures += record.buckets[b][1];
    }
    const afterKillMs = Math.max(0, o.seconds * 1000 - from * record.bucketMs);

    const acknowledged = record.acknowledged.map((a) => String(a.id));
    // Wait for the notifications: every acknowledged one, and past the moment the survivor may
    // resend what the killed instance had claimed (claim 2 × timeout + 5 s, then a poll or two).
    const claimOver = killWall + 2 * o.webhookTimeoutMs + 5000 + 2 * o.webhookPollMs + 1000;
    const giveUp = claimOver + 30000;
    const have = (): Set<string> => new Set(arrivalsWall.map((a) => a.reportID));
    while (Date.now() < giveUp) {
      const seen = have();
      if (Date.now() >= claimOver && acknowledged.every((id) => seen.has(id))) break;
      await sleep(100);
    }
    await sleep(500); // room for a late duplicate

    const stored = await readReports(survivor.url, seeded.blToken, seeded.programID);
    const arrivals: Arrival[] = arrivalsWall.map(({ wall, ...a }) => ({ ...a, at: wall - record.startedAt }));
    const seen = have();
    const byNid = new Map<string, Arrival[]>();
    for (const a of arrivals) byNid.set(a.nid, [...(byNid.get(a.nid) ?? []), a]);
    const duplicates = [...byNid]
      .filter(([, as]) => as.length > 1)
      .map(([nid, as]) => ({ nid, arrivals: as }));
    const failedAt = record.failed.map((f) => f.at - killAt);
    return {
      failuresFrom: failedAt.length ? Math.min(...failedAt) : undefined,
      failuresTo: failedAt.length ? Math.max(...failedAt) : undefined,
      connections: o.connections,
      load,
      record,
      killAt,
      servedAfterKill,
      afterKillMs,
      lateConnectionFailures,
      acknowledged,
      storedReports: stored.size,
      arrivals,
      unreadable: acknowledged.filter((id) => !stored.has(id)),
      unnotified: acknowledged.filter((id) => !seen.has(id)),
      notifiedNotStored: [...seen].filter((id) => !stored.has(id)),
      duplicates,
      unexplainedDuplicates: duplicates.filter(
        (d) =>
          !(
            d.arrivals.length === 2 &&
            d.arrivals[0].from === 'killed' &&
            d.arrivals[1].from === 'survivor' &&
            d.arrivals[1].at > killAt
          ),
      ),
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    for (const release of held.splice(0)) release();
    receiver.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
    await sleep(300);
  }
}

/** The checks as lines, for the bench's output. */
export function describeFault(r: FaultResult, rate: number): string[] {
  const lost = r.load.failures;
  const ok = (b: boolean): string => (b ? 'ok' : 'FAILED');
  const fromKilled = r.arrivals.filter((a) => a.from === 'killed').length;
  return [
    `${ok(lost.connection <= r.connections && lost.http === 0 && lost.unanswered === 0)} kill -9 at ${(r.killAt / 1000).toFixed(1)} s; load: ${r.load.requests} requests, ${lost.connection} failed on connections (the killed instance's; at most ${r.connections}: ${Object.entries(
      r.load.statuses,
    )
      .filter(([k]) => !/^\d+$/.test(k) && k !== 'unanswered')
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}; from ${r.failuresFrom ?? '–'} to ${r.failuresTo ?? '–'} ms after the kill), ${lost.http} HTTP errors, ${lost.unanswered} unanswered; ${Math.round(r.load.rps)} req/s over the run, p99 ${Math.round(r.load.p99)} ms`,
    `${ok(r.servedAfterKill >= (rate * r.afterKillMs) / 2000)} survivor served ${r.servedAfterKill} 2xx in the ${(r.afterKillMs / 1000).toFixed(1)} s from 1 s after the kill (${Math.round(r.servedAfterKill / (r.afterKillMs / 1000))} req/s); connection failures later than that: ${r.lateConnectionFailures}`,
    `${ok(r.unreadable.length === 0)} ${r.acknowledged.length} reports acknowledged (201), ${r.storedReports} stored, ${r.unreadable.length} acknowledged but not readable through the survivor`,
    `${ok(r.unnotified.length === 0 && r.notifiedNotStored.length === 0)} notifications: ${r.arrivals.length} deliveries (${fromKilled} from the killed instance), ${r.unnotified.length} acknowledged reports never notified, ${r.notifiedNotStored.length} notified but not stored`,
    `${ok(r.unexplainedDuplicates.length === 0 && r.duplicates.length <= DELIVERY_CONCURRENCY)} ${r.duplicates.length} notification ids delivered twice (bound: the killed instance's ${DELIVERY_CONCURRENCY} in flight), ${r.unexplainedDuplicates.length} not explained by the kill`,
  ];
}

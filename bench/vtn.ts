/**
 * npm run bench:vtn — a VEN polling `GET /events?programID=…` (1,000 stored events, 100 concurrent
 * clients, autocannon) against the VTN, and the same load against a bare Node http server that
 * returns the same bytes, in one run. Prints req/s, p99 latency and the ratio.
 * Target (issue 3): VTN ≥ 40% of the bare server's req/s, p99 < 25 ms.
 */
import http from 'http';
import type { AddressInfo } from 'net';
import autocannon from 'autocannon';
import { createVtn } from '../src';

const EVENTS = 1000;
const CONNECTIONS = 100;
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

async function load(
  url: string,
  headers: Record<string, string>,
): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  // The load generator runs in worker threads so it does not steal the server's event loop.
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers, workers: 1 });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

async function main(): Promise<void> {
  const vtn = await createVtn({ store: ':memory:' });
  const { url } = await vtn.listen(0, '127.0.0.1');
  const flow = {
    clientID: null,
    role: 'BL' as const,
    scopes: ['read_all', 'write_programs', 'write_events'],
  };
  const program = await vtn.service.create('programs', flow, { programName: 'bench' });
  for (let i = 0; i < EVENTS; i++) {
    await vtn.service.create('events', flow, {
      programID: program.id,
      eventName: `prices-${i}`,
      intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
      intervals: Array.from({ length: 24 }, (_, id) => ({
        id,
        payloads: [{ type: 'PRICE', values: [0.1 + id / 100] }],
      })),
    });
  }
  const tokenRes = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=ven_client&client_secret=999',
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const pollUrl = `${url}/events?programID=${program.id}`;
  const headers = { authorization: `Bearer ${token}` };
  const sample = await fetch(pollUrl, { headers });
  const bytes = Buffer.from(await sample.arrayBuffer());
  console.log(
    `response: ${sample.status}, ${bytes.length} bytes, ${(JSON.parse(bytes.toString()) as unknown[]).length} events per page`,
  );

  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const barePort = (bare.address() as AddressInfo).port;

  // Alternate the two servers over ROUNDS rounds so a noisy neighbour on a shared machine
  // affects both alike; the ratio compares the averages.
  const bareRuns: Array<Awaited<ReturnType<typeof load>>> = [];
  const vtnRuns: Array<Awaited<ReturnType<typeof load>>> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await load(`http://127.0.0.1:${barePort}/events?programID=${program.id}`, headers);
    const v = await load(pollUrl, headers);
    bareRuns.push(b);
    vtnRuns.push(v);
    console.log(
      `round ${round}: bare ${b.rps.toFixed(0)} req/s (p99 ${b.p99} ms) · VTN ${v.rps.toFixed(0)} req/s (p99 ${v.p99} ms, errors ${v.errors}, non-2xx ${v.non2xx})`,
    );
  }
  bare.close();
  await vtn.close();
  const avg = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
  const bareRps = avg(bareRuns.map((r) => r.rps));
  const vtnRps = avg(vtnRuns.map((r) => r.rps));
  const vtnP99 = Math.max(...vtnRuns.map((r) => r.p99));
  console.log(`bare http : ${bareRps.toFixed(0)} req/s, p99 ≤ ${Math.max(...bareRuns.map((r) => r.p99))} ms`);
  console.log(`VTN       : ${vtnRps.toFixed(0)} req/s, p99 ≤ ${vtnP99} ms`);
  console.log(
    `ratio VTN/bare: ${((vtnRps / bareRps) * 100).toFixed(1)}% (target ≥ 40%), p99 ${vtnP99} ms (target < 25 ms)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import autocannon from 'autocannon';
const origin = process.argv[2];
const base = `${origin}/openadr3/3.0.1`;
async function post(url: string, token: string, body: unknown): Promise<{ id: string }> {
  const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`POST ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as { id: string };
}
async function token(id: string, secret: string): Promise<string> {
  const r = await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}` });
  return ((await r.json()) as { access_token: string }).access_token;
}
(async () => {
  const bl = await token('bl_client', '1001');
  const ven = await token('ven_client', '999');
  const program = await post(`${base}/programs`, bl, { programName: 'scale' + Date.now() });
  let event = { id: '' };
  for (let i = 0; i < 10; i++)
    event = await post(`${base}/events`, bl, { programID: program.id, eventName: `prices-${i}`, intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' }, intervals: Array.from({ length: 24 }, (_, id) => ({ id, payloads: [{ type: 'PRICE', values: [0.1 + id / 100] }] })) });
  const poll = { method: 'GET', path: `/openadr3/3.0.1/events?programID=${program.id}` };
  const report = { method: 'POST', path: '/openadr3/3.0.1/reports', headers: { authorization: `Bearer ${ven}`, 'content-type': 'application/json' }, body: JSON.stringify({ programID: program.id, eventID: event.id, clientName: 'hpwh', resources: [{ resourceName: 'tank', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] }] }) };
  const mode = process.argv[3] ?? 'mix';
  const requests = mode === 'poll' ? [poll] : mode === 'report' ? [report] : [...Array.from({ length: 9 }, () => poll), report];
  const r = await autocannon({ url: origin, connections: 100, duration: Number(process.argv[4] ?? 8), headers: { authorization: `Bearer ${ven}` }, requests, workers: 1 });
  console.log(mode, 'rps', r.requests.average, 'p99', r.latency.p99, 'errors', r.errors + r.timeouts + r.non2xx);
})();

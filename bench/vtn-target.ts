/**
 * The servers under test for `npm run bench:vtn`, run as their own process so the load generator
 * (autocannon, in the parent) does not share an event loop or a garbage collector with them —
 * as in production, where VENs are other machines. Serves, on two loopback ports:
 *  - the VTN (in-memory store) holding one program with EVENTS pricing events, and
 *  - a bare Node `http` server answering every request with the bytes the VTN returns for the poll.
 * Prints one JSON line `{vtnPollUrl, barePollUrl, token, bytes, events}` on stdout when ready and
 * exits when its stdin closes (so a crashed parent never leaves it behind).
 */
import http from 'http';
import type { AddressInfo } from 'net';
import { createVtn } from '../src';
import { priceEvent } from './vtn-fleet';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);

async function main(): Promise<void> {
  const vtn = await createVtn({ store: ':memory:' });
  const { url } = await vtn.listen(0, '127.0.0.1');
  const bl = {
    clientID: null,
    role: 'BL' as const,
    scopes: ['read_all', 'write_programs', 'write_events'],
  };
  const program = await vtn.service.create('programs', bl, { programName: 'bench' });
  for (let i = 0; i < EVENTS; i++) {
    await vtn.service.create('events', bl, priceEvent(String(program.id), i));
  }
  const tokenRes = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=ven_client&client_secret=999',
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const vtnPollUrl = `${url}/events?programID=${program.id}`;
  const sample = await fetch(vtnPollUrl, { headers: { authorization: `Bearer ${token}` } });
  if (sample.status !== 200) throw new Error(`poll answered ${sample.status}`);
  const bytes = Buffer.from(await sample.arrayBuffer());
  const events = (JSON.parse(bytes.toString()) as unknown[]).length;

  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  });
  bare.keepAliveTimeout = 5000;
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const barePort = (bare.address() as AddressInfo).port;
  const barePollUrl = `http://127.0.0.1:${barePort}/events?programID=${program.id}`;

  process.stdout.write(
    `${JSON.stringify({ vtnPollUrl, barePollUrl, token, bytes: bytes.length, events })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', () => {
    bare.close();
    void vtn.close().then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * The poll page cache as a client sees it on the wire: gzip for clients that ask for it (raw HTTP
 * here, since fetch always asks and decodes), and one shared body for VENs that see the same page.
 */
import assert from 'assert';
import http from 'http';
import net from 'net';
import zlib from 'zlib';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
}

function rawGet(url: string, token: string, acceptEncoding?: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (acceptEncoding !== undefined) headers['accept-encoding'] = acceptEncoding;
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }),
        );
      })
      .on('error', reject);
  });
}

/** The head of a GET as it came over the wire (Date masked), and the body's length. */
function rawHead(
  url: string,
  token: string,
  acceptEncoding?: string,
): Promise<{ head: string; bodyLength: number }> {
  const u = new URL(url);
  const request =
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${token}\r\n` +
    (acceptEncoding ? `Accept-Encoding: ${acceptEncoding}\r\n` : '') +
    'Connection: close\r\n\r\n';
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const head = all
        .subarray(0, end)
        .toString('latin1')
        .replace(/\r\nDate: [^\r]*/, '\r\nDate: -');
      resolve({ head, bodyLength: all.length - end - 4 });
    });
  });
}

describe('VTN poll page cache on the wire', function () {
  this.timeout(20000);
  let t: TestVtn;
  let bl: string;
  let vens: string[];
  let eventsUrl: string;
  let smallUrl: string;

  before(async () => {
    t = await startTestVtn({
      store: ':memory:',
      clients: [
        { id: 'bl_client', secret: '1001', role: 'BL' },
        ...['a', 'b', 'c'].map((x) => ({ id: `ven_${x}`, secret: x, role: 'VEN' as const })),
      ],
    });
    bl = await t.token('bl_client', '1001');
    vens = await Promise.all(['a', 'b', 'c'].map((x) => t.token(`ven_${x}`, x)));
    const program = await t.call('POST', '/programs', bl, { programName: 'prices' });
    for (let i = 0; i < 3; i++)
      await t.call('POST', '/events', bl, {
        programID: program.body.id,
        eventName: `day-${i}`,
        intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
        intervals: Array.from({ length: 24 }, (_, id) => ({
          id,
          payloads: [{ type: 'PRICE', values: [0.1 + id / 100] }],
        })),
      });
    eventsUrl = `${t.url}/events?programID=${program.body.id}`;
    smallUrl = `${t.url}/programs`;
  });
  after(() => t.close());

  it('sends a large page gzipped to a client that accepts gzip, the same JSON as uncompressed', async () => {
    const plain = await rawGet(eventsUrl, vens[0]);
    assert.strictEqual(plain.status, 200);
    assert.strictEqual(plain.headers['content-encoding'], undefined);
    const events = JSON.parse(plain.raw.toString('utf8')) as unknown[];
    assert.strictEqual(events.length, 3);
    assert.ok(plain.raw.length > 4000, `page of ${plain.raw.length} bytes`);
    for (let i = 0; i < 2; i++) {
      // The first answer builds and caches the page, the second comes from the cache: both gzip.
      const gz = await rawGet(eventsUrl, vens[1], 'gzip, deflate, br');
      assert.strictEqual(gz.status, 200);
      assert.strictEqual(gz.headers['content-encoding'], 'gzip');
      assert.strictEqual(gz.headers.vary, 'Accept-Encoding');
      assert.strictEqual(Number(gz.headers['content-length']), gz.raw.length);
      assert.ok(gz.raw.length * 5 < plain.raw.length, `${gz.raw.length} gzipped vs ${plain.raw.length}`);
      assert.deepStrictEqual(JSON.parse(zlib.gunzipSync(gz.raw).toString('utf8')), events);
    }
  });

  it('sends it uncompressed when gzip is refused (q=0) or not offered, and small pages as they are', async () => {
    for (const ae of [undefined, 'identity', 'gzip;q=0, identity', 'br']) {
      const r = await rawGet(eventsUrl, vens[2], ae);
      assert.strictEqual(r.status, 200, String(ae));
      assert.strictEqual(r.headers['content-encoding'], undefined, String(ae));
      assert.strictEqual((JSON.parse(r.raw.toString('utf8')) as unknown[]).length, 3);
    }
    const small = await rawGet(smallUrl, vens[0], 'gzip');
    assert.strictEqual(small.headers['content-encoding'], undefined);
    assert.strictEqual((JSON.parse(small.raw.toString('utf8')) as unknown[]).length, 1);
  });

  it('keeps one body for VENs that see the same page, and a new one after a change', async () => {
    for (const v of vens) await rawGet(eventsUrl, v, 'gzip');
    const before = t.vtn.pageCache.stats();
    // Three VENs, one page each, one body between them (plus the small programs page).
    assert.strictEqual(before.pages, 4);
    assert.strictEqual(before.bodies, 2);
    const e = await t.call('GET', `/events?programID=${eventsUrl.split('=')[1]}`, bl);
    await t.call('PUT', `/events/${e.body[0].id}`, bl, { ...e.body[0], eventName: 'renamed' });
    const after = await rawGet(eventsUrl, vens[0], 'gzip');
    const names = (
      JSON.parse(zlib.gunzipSync(after.raw).toString('utf8')) as Array<{ eventName: string }>
    ).map((x) => x.eventName);
    assert.deepStrictEqual(names, ['renamed', 'day-1', 'day-2']);
    // The BL's page (same events, same bytes) shared the VENs' body; the changed page is a new one.
    assert.strictEqual(t.vtn.pageCache.stats().bodies, before.bodies + 1);
  });

  it('sends the same head, byte for byte, whether the route builds the page or the cache answers', async () => {
    // A URL of its own (the same events): the first GET is a miss the route answers, the next a hit.
    const url = `${eventsUrl}&limit=50`;
    for (const ae of [undefined, 'gzip']) {
      for (const source of ['route', 'cache']) {
        const { head, bodyLength } = await rawHead(url, vens[0], ae);
        assert.strictEqual(
          head,
          'HTTP/1.1 200 OK\r\n' +
            'Content-Type: application/json; charset=utf-8\r\n' +
            'Vary: Accept-Encoding\r\n' +
            (ae ? 'Content-Encoding: gzip\r\n' : '') +
            `Content-Length: ${bodyLength}\r\n` +
            'Date: -\r\n' +
            'Connection: close',
          `${source}, Accept-Encoding ${ae}`,
        );
      }
    }
  });
});

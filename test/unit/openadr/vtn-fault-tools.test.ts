/**
 * The fault test's tools, on their own: bench/rr-proxy.js sends a new connection past a dead
 * upstream (and skips it for --down-ms), bench/vtn-load.js replaces a connection that died and
 * records every acknowledged report.
 */
import assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import net from 'net';
import os from 'os';
import path from 'path';
import type { LoadRecord, Run } from '../../../bench/vtn-fleet';
import { freePort } from '../../support/ports';

const root = path.resolve(__dirname, '..', '..', '..');

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

/** One request on a connection of its own; resolves with the body. */
function getOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('fault test tools', function () {
  this.timeout(30000);
  const children: ChildProcess[] = [];
  const servers: net.Server[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const s of servers.splice(0)) {
      (s as http.Server).closeAllConnections?.();
      await new Promise((r) => s.close(r));
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('rr-proxy sends a connection an upstream refuses to the next one, and skips the dead one for --down-ms', async () => {
    const hits = { a: 0, b: 0 };
    const upstream = (name: 'a' | 'b'): http.Server => {
      const s = http.createServer((_req, res) => {
        hits[name]++;
        res.end(name);
      });
      servers.push(s);
      return s;
    };
    const portA = await freePort(); // nothing listens there yet: a dead instance
    const portB = await listen(upstream('b'));
    const proxy = spawn(
      process.execPath,
      ['bench/rr-proxy.js', '--down-ms', '1500', `http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(proxy);
    const port = await new Promise<number>((resolve) => {
      let out = '';
      proxy.stdout!.on('data', (d) => {
        out += d;
        const m = /PROXY (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
    });
    // Round robin would send every other connection to A: each is answered by B instead.
    const first: string[] = [];
    for (let i = 0; i < 6; i++) first.push(await getOnce(port));
    assert.deepStrictEqual(first, ['b', 'b', 'b', 'b', 'b', 'b']);
    // A comes back, but the proxy does not try it again before --down-ms has passed ...
    await listen(upstream('a'), portA);
    for (let i = 0; i < 4; i++) assert.strictEqual(await getOnce(port), 'b');
    assert.strictEqual(hits.a, 0);
    // ... and after that, it gets its turns again.
    await new Promise((r) => setTimeout(r, 1600));
    const later: string[] = [];
    for (let i = 0; i < 6; i++) later.push(await getOnce(port));
    assert.ok(later.filter((x) => x === 'a').length >= 2, later.join(' '));
    assert.ok(later.filter((x) => x === 'b').length >= 2, later.join(' '));
  });

  it('vtn-load replaces a connection that died and goes on; it records every acknowledged report', async () => {
    // A minimal keep-alive HTTP server that resets the connection instead of answering every 7th
    // request on it: each reset fails exactly the request in flight, nothing else.
    let resets = 0;
    let n = 0;
    const created: string[] = [];
    const server = net.createServer((sock) => {
      let buf = '';
      let onThis = 0;
      sock.on('error', () => {});
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const len = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          const isPost = buf.startsWith('POST');
          buf = buf.slice(end + 4 + len);
          if (++onThis % 7 === 0) {
            resets++;
            sock.resetAndDestroy();
            return;
          }
          let body = '[]';
          if (isPost) {
            const id = `report-${++n}`;
            created.push(id);
            body = JSON.stringify({ id, clientName: 'x' });
          }
          sock.write(
            `HTTP/1.1 ${isPost ? '201 Created' : '200 OK'}\r\nContent-Type: application/json\r\n` +
              `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          );
        }
      });
    });
    servers.push(server);
    const port = await listen(server);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-load-'));
    const recordFile = path.join(dir, 'record.json');
    const plan = {
      origin: `http://127.0.0.1:${port}`,
      mode: 'max',
      seconds: 1,
      connections: 4,
      reportEvery: 3,
      recordFile,
      vens: [
        { token: 't1', poll: '/events', report: { path: '/reports', body: '{"a":1}' } },
        { token: 't2', poll: '/events', report: { path: '/reports', body: '{"a":2}' } },
      ],
    };
    fs.writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(plan));
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['bench/vtn-load.js', path.join(dir!, 'plan.json')], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}`))));
    });
    const run = JSON.parse(out) as Run;
    assert.ok(resets >= 20, `only ${resets} resets: the load did not go on after them`);
    assert.deepStrictEqual(run.failures, { connection: resets, http: 0, unanswered: 0 });
    assert.strictEqual(run.requests, run.statuses['200'] + run.statuses['201'] + resets);
    const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as LoadRecord;
    // (in the order the answers were read, which across connections is not the server's)
    assert.deepStrictEqual(record.acknowledged.map((a) => a.id).sort(), [...created].sort());
    const buckets = record.buckets.reduce((s, b) => [s[0] + b[0], s[1] + b[1], s[2] + b[2]], [0, 0, 0]);
    assert.deepStrictEqual(buckets, [run.requests - resets, resets, 0]);
    assert.strictEqual(record.acknowledged.length, run.statuses['201']);
    assert.ok(record.reportFailures.connection <= resets);
    assert.strictEqual(record.reportFailures.http, 0);
  });
});

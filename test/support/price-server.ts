/**
 * A local stand-in for the Olivine price API on 127.0.0.1 (free port): serves the fixtures and
 * the ways a real server fails. Counts hits per path so tests can check retries.
 *
 *   /live      sample_data/olivine/etou-dyn-24h.json        /simple   simple-shape-13h.json
 *   /openadr   sample_data/event_pricing.json               /html     200 with an HTML error page
 *   /500       HTTP 500                                     /404      HTTP 404
 *   /hang      accepts, never answers (timeouts)            /flaky/N  HTTP 503 N times, then /live
 *   /invalid   a live body with a -99999 price
 */
import fs from 'fs';
import http from 'http';
import net from 'net';
import path from 'path';
import { freePort } from './ports';

const root = path.resolve(__dirname, '..', '..');
const read = (...p: string[]): string => fs.readFileSync(path.join(root, ...p), 'utf8');

export interface PriceServer {
  url: string;
  hits(pathname: string): number;
  /** Connections that were closed by the client while the server was still holding them. */
  abandoned(): number;
  close(): Promise<void>;
}

export async function startPriceServer(): Promise<PriceServer> {
  const live = read('sample_data', 'olivine', 'etou-dyn-24h.json');
  const simple = read('sample_data', 'olivine', 'simple-shape-13h.json');
  const openadr = read('sample_data', 'event_pricing.json');
  const invalid = JSON.parse(live);
  invalid.eiEventSignals.eiEventSignal[0].intervals[3].streamPayloadBase[0].item.value = -99999;
  const counts = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let abandoned = 0;

  const json = (res: http.ServerResponse, body: string): void => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const n = (counts.get(pathname) ?? 0) + 1;
    counts.set(pathname, n);
    const flaky = /^\/flaky\/(\d+)$/.exec(pathname);
    if (pathname === '/live') return json(res, live);
    if (pathname === '/simple') return json(res, simple);
    if (pathname === '/openadr') return json(res, openadr);
    if (pathname === '/invalid') return json(res, JSON.stringify(invalid));
    if (pathname === '/html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(
        '<!DOCTYPE html><html><head><title>Error</title></head><body>Service Unavailable</body></html>',
      );
    }
    if (pathname === '/500') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('internal error');
    }
    if (pathname === '/404') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    if (pathname === '/hang') {
      req.socket.on('close', () => abandoned++);
      return; // never answer
    }
    if (flaky) {
      if (n <= Number(flaky[1])) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        return res.end('try later');
      }
      return json(res, live);
    }
    res.writeHead(404);
    res.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    hits: (p) => counts.get(p) ?? 0,
    abandoned: () => abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// A small round-robin proxy for bench:vtn-scale: `node bench/rr-proxy.js [--http] URL1 URL2 ...`
// prints "PROXY <port>" once listening on 127.0.0.1. Stands in for the load balancer (nginx,
// HAProxy) a real deployment puts in front of several VTN processes.
// Default: round robin per TCP connection (HAProxy `mode tcp`, nginx `stream`): bytes are piped,
// never parsed, so the proxy costs little CPU — on a 2-core machine shared with the VTNs, the
// database and the load generator that matters. `--http`: round robin per request (parses and
// re-sends every request, like an HTTP-mode balancer; several times the CPU per request).
'use strict';
const http = require('http');
const net = require('net');

const args = process.argv.slice(2);
const perRequest = args.includes('--http');
const upstreams = args.filter((a) => a !== '--http').map((u) => new URL(u));
let next = 0;

let server;
if (perRequest) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  server = http.createServer((req, res) => {
    const up = upstreams[next++ % upstreams.length];
    const fwd = http.request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    fwd.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(fwd);
  });
  server.keepAliveTimeout = 5000;
} else {
  server = net.createServer((client) => {
    const up = upstreams[next++ % upstreams.length];
    const upstream = net.connect({ host: up.hostname, port: Number(up.port) });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
}
server.listen(0, '127.0.0.1', () => console.log(`PROXY ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));

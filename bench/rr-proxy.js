// A small round-robin proxy for bench:vtn-scale: `node bench/rr-proxy.js [--http] [--down-ms 1500] URL1 URL2 ...`
// prints "PROXY <port>" once listening on 127.0.0.1. Stands in for the load balancer (nginx,
// HAProxy) a real deployment puts in front of several VTN processes.
// Default: round robin per TCP connection (HAProxy `mode tcp`, nginx `stream`): bytes are piped,
// never parsed, so the proxy costs little CPU — on a 2-core machine shared with the VTNs, the
// database and the load generator that matters. `--http`: round robin per request (parses and
// re-sends every request, like an HTTP-mode balancer; several times the CPU per request).
// A dead upstream (connection refused or reset before it was established): the client's
// connection is sent to the next upstream instead (HAProxy `option redispatch`, nginx
// `proxy_next_upstream error`) — nothing was sent to the dead one yet, so that is safe — and the
// dead one gets no new connections for --down-ms (then it is tried again). Connections already
// established to an upstream that dies fail with it, as behind a real balancer. In --http mode
// such a request gets a 502 (its body may already be half sent) and the upstream is skipped the same way.
'use strict';
const http = require('http');
const net = require('net');

const args = process.argv.slice(2);
const perRequest = args.includes('--http');
let downMs = 1500;
const urls = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--http') continue;
  if (args[i] === '--down-ms') downMs = Number(args[++i]);
  else urls.push(args[i]);
}
const upstreams = urls.map((u) => new URL(u));
if (upstreams.length > 30) throw new Error('rr-proxy: at most 30 upstreams'); // `tried` is a bit mask
/** Per upstream: no new connections before this time (ms), after a failed connect. */
const downUntil = upstreams.map(() => 0);
let next = 0;

/** The next upstream in turn that is not down and not in `tried` (a bit mask); -1 when none is left. */
function pick(tried) {
  const n = upstreams.length;
  const now = Date.now();
  let fallback = -1;
  for (let i = 0; i < n; i++) {
    const k = next++ % n;
    if (tried & (1 << k)) continue;
    if (downUntil[k] <= now) return k;
    if (fallback < 0) fallback = k;
  }
  // Every untried one is marked down: try one anyway rather than fail a client nothing else serves.
  return fallback;
}

let server;
if (perRequest) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  server = http.createServer((req, res) => {
    const k = pick(0);
    const up = upstreams[k];
    const fwd = http.request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    fwd.on('error', (err) => {
      if (err.code === 'ECONNREFUSED') downUntil[k] = Date.now() + downMs;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(fwd);
  });
  server.keepAliveTimeout = 5000;
} else {
  server = net.createServer((client) => {
    // Hold the client's bytes until an upstream has accepted the connection, so a refused
    // connect can be retried on the next upstream with nothing lost or sent twice.
    client.pause();
    client.setNoDelay(true);
    let upstream;
    let tried = 0;
    let closed = false;
    const end = () => {
      closed = true;
      client.destroy();
      if (upstream) upstream.destroy();
    };
    client.on('error', end);
    client.on('close', end);
    const attempt = () => {
      const k = pick(tried);
      if (k < 0 || closed) return end();
      tried |= 1 << k;
      const up = upstreams[k];
      const sock = net.connect({ host: up.hostname, port: Number(up.port) });
      upstream = sock;
      let connected = false;
      sock.once('connect', () => {
        connected = true;
        sock.setNoDelay(true);
        client.pipe(sock);
        sock.pipe(client);
      });
      sock.on('error', () => {
        if (connected || closed) return end();
        downUntil[k] = Date.now() + downMs;
        sock.destroy();
        attempt();
      });
      sock.on('close', () => {
        if (connected) end();
      });
    };
    attempt();
  });
}
server.listen(0, '127.0.0.1', () => console.log(`PROXY ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));

// A small round-robin HTTP proxy for bench:vtn-scale: `node bench/rr-proxy.js URL1 URL2 ...`
// prints "PROXY <port>" once listening on 127.0.0.1. Stands in for the load balancer (nginx,
// HAProxy) a real deployment puts in front of several VTN processes.
'use strict';
const http = require('http');

const upstreams = process.argv.slice(2).map((u) => new URL(u));
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
let next = 0;

const server = http.createServer((req, res) => {
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
server.listen(0, '127.0.0.1', () => console.log(`PROXY ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));

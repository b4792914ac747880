#!/usr/bin/env node
// `npm run vtn [-- --port 8080 --host 127.0.0.1 --store ./vtn.db | --memory | --pg postgres://...]`:
// the OpenADR 3.0.1 VTN
// without Node-RED, with the seed's demo clients (bl_client/1001, ven_client/999) and http
// callbacks allowed to loopback/LAN, like the reference implementation the seed's examples use.
'use strict';
const path = require('path');
const { ensureBuild } = require('./ensure-build');

function positive(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a whole number of milliseconds > 0`);
  return n;
}

function parseArgs(argv) {
  const opts = { port: 8080, host: '127.0.0.1', store: path.join(process.cwd(), 'openadr3-vtn.db') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port' || a === '-p') opts.port = Number(next());
    else if (a === '--host') opts.host = next();
    else if (a === '--store') opts.store = next();
    else if (a === '--memory') opts.store = ':memory:';
    else if (a === '--clients') opts.clients = next();
    else if (a === '--pool') opts.pool = Number(next());
    else if (a === '--webhook-timeout') opts.webhookTimeout = positive(a, next());
    else if (a === '--webhook-poll') opts.webhookPoll = positive(a, next());
    else if (a === '--consistency') {
      opts.consistency = next();
      if (opts.consistency !== 'strict' && opts.consistency !== 'notify')
        throw new Error('--consistency is strict or notify');
    } else if (a === '--pg') {
      opts.store = next();
      if (!/^postgres(ql)?:\/\//i.test(opts.store))
        throw new Error('--pg needs a postgres://user:password@host:5432/database URL');
    } else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
    throw new Error('--port must be 0..65535');
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`npm run vtn: ${err.message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(
      'usage: npm run vtn -- [--port 8080] [--host 127.0.0.1] [--store file.db | --memory | --pg postgres://user@host:5432/db] [--clients file] [--pool 10] [--consistency strict|notify] [--webhook-timeout 5000] [--webhook-poll 1000]',
    );
    console.log(
      '  --pg: a PostgreSQL database several VTN processes can share (tables are created by the VTN)',
    );
    console.log('  --clients: one "<clientID> <secret> <BL|VEN>" per line, instead of the demo clients');
    console.log('  --pool: PostgreSQL connections per process (default 10)');
    console.log(
      '  --webhook-timeout: ms one webhook POST may take (default 5000); with --pg, a notification an instance',
    );
    console.log('                     that died was sending is sent by another after 2 × this + 5 s');
    console.log('  --webhook-poll: ms between looks for webhook retries that are due (default 1000)');
    console.log(
      "  --consistency: with --pg, how polls check other instances' writes: strict (default; a counter read per poll)",
    );
    console.log(
      '                 or notify (trust LISTEN/NOTIFY: no read per poll; may miss a change made a few ms earlier elsewhere)',
    );
    return;
  }
  ensureBuild();
  const { createVtn, isPostgresUrl, parseClients } = require('../dist/src/index.js');
  // Your own clients (one "<clientID> <secret> <BL|VEN>" per line) instead of the demo ones.
  const clients = opts.clients ? parseClients(require('fs').readFileSync(opts.clients, 'utf8')) : undefined;
  const vtn = await createVtn({
    store: opts.store,
    clients,
    pgPoolSize: opts.pool,
    pgConsistency: opts.consistency,
    webhooks: { timeoutMs: opts.webhookTimeout, pollMs: opts.webhookPoll },
    allowInsecureCallbacks: true,
    onError: (err) => console.error(`VTN error: ${err.message}`),
  });
  const { url } = await vtn.listen(opts.port, opts.host);
  console.log(`OpenADR 3.0.1 VTN listening at ${url}`);
  if (vtn.basePath31)
    console.log(`OpenADR 3.1.0 (same store) at ${url.replace(vtn.basePath, vtn.basePath31)}`);
  console.log(
    `store: ${vtn.store.kind === 'memory' ? 'in memory' : isPostgresUrl(opts.store) ? vtn.store.kind : opts.store}`,
  );
  if (clients) console.log(`clients: ${clients.length} from ${opts.clients}`);
  else console.log('demo clients: bl_client / 1001 (BL), ven_client / 999 (VEN)');
  const stop = () => {
    vtn.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`npm run vtn: ${err.message}`);
  process.exit(1);
});

#!/usr/bin/env node
// `npm run vtn [-- --port 8080 --host 127.0.0.1 --store ./vtn.db | --memory | --pg postgres://...]
// [--mqtt mqtt://user:password@broker:1883] [--change-stats SECONDS]`: the OpenADR 3.0.1 (and 3.1.0) VTN
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
    } else if (a === '--mqtt') {
      opts.mqtt = next();
      if (!/^(mqtts?|wss?|tcp|ssl):\/\/[^/]+/i.test(opts.mqtt))
        throw new Error(
          '--mqtt needs a broker URL such as mqtt://127.0.0.1:1883 (or mqtt://user:password@host:1883)',
        );
    } else if (a === '--mqtt-prefix') opts.mqttPrefix = next();
    else if (a === '--mqtt-public-url') opts.mqttPublicUrl = next();
    else if (a === '--change-stats') {
      opts.changeStats = Number(next());
      if (!Number.isFinite(opts.changeStats) || opts.changeStats < 0)
        throw new Error('--change-stats needs a number of seconds (0: only on SIGUSR2)');
    } else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
    throw new Error('--port must be 0..65535');
  if ((opts.mqttPrefix !== undefined || opts.mqttPublicUrl !== undefined) && !opts.mqtt)
    throw new Error('--mqtt-prefix and --mqtt-public-url need --mqtt');
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
      'usage: npm run vtn -- [--port 8080] [--host 127.0.0.1] [--store file.db | --memory | --pg postgres://user@host:5432/db] [--clients file] [--pool 10]\n' +
        '         [--consistency strict|notify] [--webhook-timeout 5000] [--webhook-poll 1000]\n' +
        '         [--mqtt mqtt://user:password@host:1883 [--mqtt-prefix OpenADR/3.1.0] [--mqtt-public-url URL]] [--change-stats SECONDS]',
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
    console.log(
      '  --mqtt: publish every change this process commits to an MQTT broker (QoS 1, OpenADR 3.1.0 topics; user and\n' +
        '          password in the URL if the broker needs them — never shown to VENs). With --pg each instance publishes\n' +
        '          its own commits, so every change is published once.',
    );
    console.log('  --mqtt-prefix: topic prefix (default OpenADR/3.1.0)');
    console.log(
      '  --mqtt-public-url: the broker URL GET /notifiers gives VENs (default the --mqtt URL without credentials)',
    );
    console.log(
      '  --change-stats: every SECONDS (0: only on SIGUSR2) print one line: change events this process heard since the\n' +
        "          last line (its own and, with --pg, other instances'), and the lag from commit to hearing them (p50/p99/max)",
    );
    return;
  }
  ensureBuild();
  const {
    createVtn,
    isPostgresUrl,
    parseClients,
    redactUrl,
    ChangeStats,
    formatChangeStats,
  } = require('../dist/src/index.js');
  // Your own clients (one "<clientID> <secret> <BL|VEN>" per line) instead of the demo ones.
  const clients = opts.clients ? parseClients(require('fs').readFileSync(opts.clients, 'utf8')) : undefined;
  // Counted per change, printed per window: no per-event logging at hundreds of changes a second.
  const stats = opts.changeStats !== undefined ? new ChangeStats() : undefined;
  const vtn = await createVtn({
    store: opts.store,
    clients,
    pgPoolSize: opts.pool,
    pgConsistency: opts.consistency,
    webhooks: { timeoutMs: opts.webhookTimeout, pollMs: opts.webhookPoll },
    allowInsecureCallbacks: true,
    mqtt: opts.mqtt ? { url: opts.mqtt, prefix: opts.mqttPrefix, publicUrl: opts.mqttPublicUrl } : undefined,
    onChange: stats ? (change) => stats.record(change) : undefined,
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
  if (opts.mqtt)
    console.log(`MQTT: publishing to ${redactUrl(opts.mqtt)} under ${opts.mqttPrefix ?? 'OpenADR/3.1.0'}/…`);
  let timer;
  if (stats) {
    const print = (always) => {
      const s = stats.snapshot(true);
      if (always || s.heard > 0) console.log(formatChangeStats(s));
    };
    process.on('SIGUSR2', () => print(true));
    if (opts.changeStats > 0) timer = setInterval(() => print(false), opts.changeStats * 1000);
    console.log(
      `change stats: ${opts.changeStats > 0 ? `every ${opts.changeStats} s (when any) and ` : ''}on SIGUSR2 (kill -USR2 ${process.pid})`,
    );
  }
  const stop = () => {
    if (timer) clearInterval(timer);
    vtn.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`npm run vtn: ${err.message}`);
  process.exit(1);
});

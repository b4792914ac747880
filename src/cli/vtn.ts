#!/usr/bin/env node
/**
 * The standalone OpenADR 3.0.1 (and 3.1.0) VTN without Node-RED: `openadr3-vtn` from an installed
 * copy, `npm run vtn --` / `node scripts/vtn.js` in a checkout (both run this compiled module).
 *
 *   openadr3-vtn [--port 8080 --host 127.0.0.1 --store ./vtn.db | --memory | --pg postgres://...]
 *     [--tls-cert FILE --tls-key FILE [--tls-ca FILE] | --dev-cert] [--public-url ORIGIN] [--behind-proxy]
 *     [--mqtt mqtt://user:password@broker:1883] [--change-stats SECONDS] [--callbacks public|lan|loopback|lan,loopback]
 *     [--announce [--announce-name NAME] [--announce-interface IF]] [--open-programs NAME,NAME]
 *
 * It serves the demo clients (bl_client/1001, ven_client/999) unless --clients names a file.
 * Webhook callbacks go to public https destinations only, unless --callbacks adds the LAN and/or
 * this machine. Plain HTTP is served only on a loopback address or --behind-proxy (then the
 * proxy's X-Forwarded-For is the client address for the sign-in throttle, and the status page
 * treats every visitor as remote); the demo clients only on loopback unless --insecure-demo-clients.
 */
import fs from 'fs';
import path from 'path';
import {
  ChangeStats,
  announceVtn,
  createVtn,
  ensureDevCertificate,
  formatChangeStats,
  isPostgresUrl,
  localNames,
  parseClients,
  redactUrl,
  type Vtn,
} from '../index';

export interface VtnCliOptions {
  port: number;
  host: string;
  store: string;
  callbacks: { lan: boolean; loopback: boolean };
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  requireClientCert?: boolean;
  devCert?: boolean;
  publicUrl?: string;
  behindProxy?: boolean;
  insecureDemoClients?: boolean;
  mqtt?: string;
  mqttCa?: string;
  mqttPrefix?: string;
  mqttPublicUrl?: string;
  clients?: string;
  pool?: number;
  webhookTimeout?: number;
  webhookPoll?: number;
  statusPage?: boolean;
  consistency?: 'strict' | 'notify';
  announce?: boolean;
  announceName?: string;
  announceInterface?: string;
  openPrograms?: string[];
  changeStats?: number;
  help?: boolean;
  /** Derived: HTTPS (--tls-cert or --dev-cert). */
  tls: boolean;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a whole number of milliseconds > 0`);
  return n;
}

/** `--callbacks public|lan|loopback|lan,loopback` → createVtn's `callbacks` policy. */
export function parseCallbacks(text: string): { lan: boolean; loopback: boolean } {
  const words = String(text)
    .split(',')
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
  const bad = words.filter((w) => !['public', 'lan', 'loopback'].includes(w));
  if (!words.length || bad.length)
    throw new Error(
      '--callbacks is public, lan, loopback or lan,loopback (public destinations are always allowed)',
    );
  return { lan: words.includes('lan'), loopback: words.includes('loopback') };
}

/** Loopback only: 127.0.0.0/8, ::1, localhost (the same rule as the VTN's listener). */
export function isLoopback(host: string): boolean {
  const h = String(host)
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

/** The command line → options; throws an Error whose message is meant for the user. */
export function parseVtnArgs(argv: string[], cwd = process.cwd()): VtnCliOptions {
  const opts: VtnCliOptions = {
    port: 8080,
    host: '127.0.0.1',
    store: path.join(cwd, 'openadr3-vtn.db'),
    callbacks: { lan: false, loopback: false },
    tls: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port' || a === '-p') opts.port = Number(next());
    else if (a === '--tls-cert') opts.tlsCert = next();
    else if (a === '--tls-key') opts.tlsKey = next();
    else if (a === '--tls-ca') opts.tlsCa = next();
    else if (a === '--require-client-cert') opts.requireClientCert = true;
    else if (a === '--dev-cert') opts.devCert = true;
    else if (a === '--public-url') opts.publicUrl = next();
    else if (a === '--behind-proxy') opts.behindProxy = true;
    else if (a === '--insecure-demo-clients') opts.insecureDemoClients = true;
    else if (a === '--mqtt-ca') opts.mqttCa = next();
    else if (a === '--host') opts.host = next();
    else if (a === '--store') opts.store = next();
    else if (a === '--memory') opts.store = ':memory:';
    else if (a === '--clients') opts.clients = next();
    else if (a === '--pool') opts.pool = Number(next());
    else if (a === '--webhook-timeout') opts.webhookTimeout = positive(a, next());
    else if (a === '--webhook-poll') opts.webhookPoll = positive(a, next());
    else if (a === '--callbacks') opts.callbacks = parseCallbacks(next());
    else if (a === '--no-status-page') opts.statusPage = false;
    else if (a === '--consistency') {
      const value = next();
      if (value !== 'strict' && value !== 'notify') throw new Error('--consistency is strict or notify');
      opts.consistency = value;
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
    else if (a === '--announce') opts.announce = true;
    else if (a === '--announce-name') opts.announceName = next();
    else if (a === '--announce-interface') opts.announceInterface = next();
    else if (a === '--open-programs')
      opts.openPrograms = next()
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
    else if (a === '--change-stats') {
      opts.changeStats = Number(next());
      if (!Number.isFinite(opts.changeStats) || opts.changeStats < 0)
        throw new Error('--change-stats needs a number of seconds (0: only on SIGUSR2)');
    } else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
    throw new Error('--port must be 0..65535');
  if ((opts.mqttPrefix !== undefined || opts.mqttPublicUrl !== undefined || opts.mqttCa) && !opts.mqtt)
    throw new Error('--mqtt-prefix, --mqtt-public-url and --mqtt-ca need --mqtt');
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  if (opts.devCert && opts.tlsCert) throw new Error('--dev-cert or --tls-cert/--tls-key, not both');
  if (opts.tlsCa && !opts.tlsCert) throw new Error('--tls-ca needs --tls-cert and --tls-key');
  if (opts.requireClientCert && !opts.tlsCa)
    throw new Error('--require-client-cert needs --tls-ca (the CA that signs the client certificates)');
  if (opts.behindProxy && !opts.publicUrl)
    throw new Error(
      '--behind-proxy needs --public-url (the https:// origin VENs reach the proxy at, e.g. https://vtn.example.com)',
    );
  opts.tls = Boolean(opts.tlsCert || opts.devCert);
  const loopback = isLoopback(opts.host);
  if (!opts.tls && !opts.behindProxy && !loopback)
    throw new Error(
      `plain HTTP on ${opts.host} is refused (VENs must reach a VTN over HTTPS): add --tls-cert FILE --tls-key FILE, ` +
        'or --dev-cert for a development certificate, or --behind-proxy --public-url https://… behind a ' +
        'TLS-terminating proxy, or bind to 127.0.0.1',
    );
  // Behind a proxy the VTN is reachable from the network whatever address it binds.
  if (!opts.clients && (!loopback || opts.behindProxy) && !opts.insecureDemoClients)
    throw new Error(
      `the demo clients (public secrets bl_client/1001, ven_client/999) are not served on ${opts.host}: ` +
        'give your own with --clients FILE, or add --insecure-demo-clients for a throwaway test network',
    );
  if ((opts.announceName !== undefined || opts.announceInterface !== undefined) && !opts.announce)
    throw new Error('--announce-name and --announce-interface need --announce');
  if (opts.announce && opts.behindProxy)
    throw new Error('--announce announces this process, not the proxy in front of it: leave out one of them');
  return opts;
}

function usage(invocation: string): string {
  return [
    `usage: ${invocation} [--port 8080] [--host 127.0.0.1] [--store file.db | --memory | --pg postgres://user@host:5432/db] [--clients file] [--pool 10]`,
    '         [--tls-cert FILE --tls-key FILE [--tls-ca FILE [--require-client-cert]] | --dev-cert] [--public-url https://host]',
    '         [--behind-proxy --public-url https://host] [--insecure-demo-clients]',
    '         [--consistency strict|notify] [--webhook-timeout 5000] [--webhook-poll 1000] [--callbacks public|lan|loopback|lan,loopback] [--no-status-page]',
    '         [--mqtt mqtt://user:password@host:1883 [--mqtt-prefix OpenADR/3.1.0] [--mqtt-public-url URL]] [--change-stats SECONDS]',
    '         [--announce [--announce-name NAME] [--announce-interface eth0]] [--open-programs NAME,NAME]',
    '  --pg: a PostgreSQL database several VTN processes can share (tables are created by the VTN)',
    '  --clients: one "<clientID> <secret> <BL|VEN>" per line, instead of the demo clients',
    '  --tls-cert, --tls-key: serve HTTPS (TLS 1.2 or later) with this PEM certificate (with intermediates) and key',
    '  --tls-ca: PEM CA certificate(s): completes the chain; with --require-client-cert only clients holding a',
    '            certificate signed by it may connect',
    '  --dev-cert: HTTPS with a development certificate: a local CA and a certificate for localhost, 127.0.0.1 and',
    '            this host name, made once beside the store and reused; trust the printed CA file on the VENs',
    '  --public-url: the origin VENs reach this VTN at (https://vtn.example.com); advertised URLs start with it',
    '  --behind-proxy: plain HTTP behind a TLS-terminating proxy (trusts its X-Forwarded-For/-Proto, one hop);',
    '            needs --public-url',
    '  Plain HTTP is served only on a loopback address (the default 127.0.0.1) or with --behind-proxy.',
    '  --insecure-demo-clients: serve the demo clients (public secrets) on a non-loopback address anyway',
    '  --pool: PostgreSQL connections per process (default 10)',
    '  --webhook-timeout: ms one webhook POST may take (default 5000); with --pg, a notification an instance',
    '                     that died was sending is sent by another after 2 × this + 5 s',
    '  --webhook-poll: ms between looks for webhook retries that are due (default 1000)',
    '  --no-status-page: do not serve the status page at / (served by default: everything on a loopback address,',
    '                    otherwise only to BL clients signed in with HTTP Basic)',
    '  --callbacks: where webhook callbacks may go besides public https hosts: lan (private networks), loopback',
    '               (this machine), or lan,loopback; each also over plain http. Link-local never. Default: public',
    "  --consistency: with --pg, how polls check other instances' writes: strict (default; a counter read per poll)",
    '                 or notify (trust LISTEN/NOTIFY: no read per poll; may miss a change made a few ms earlier elsewhere)',
    '  --mqtt: publish every change this process commits to an MQTT broker (QoS 1, OpenADR 3.1.0 topics; user and',
    '          password in the URL if the broker needs them — never shown to VENs). With --pg each instance publishes',
    '          its own commits, so every change is published once.',
    '  --mqtt-prefix: topic prefix (default OpenADR/3.1.0)',
    "  --mqtt-ca: PEM CA certificate that signed an mqtts:// broker's certificate (a private CA)",
    '  --mqtt-public-url: the broker URL GET /notifiers gives VENs (default the --mqtt URL without credentials)',
    '  --announce: tell the LAN about this VTN with mDNS/DNS-SD (_openadr3._tcp, one announcement per API version;',
    '              needs --host 0.0.0.0 or a LAN address; mDNS uses UDP port 5353); --announce-name: the service',
    '              instance name (default "OpenADR VTN on <host>"); --announce-interface: only on that interface',
    '  --open-programs: programs (by name) anyone may read without a token, with their untargeted events (writes',
    '                   always need one; 5 reads a second per client address); announced as requires_auth=False',
    '  --change-stats: every SECONDS (0: only on SIGUSR2) print one line: change events this process heard since the',
    "          last line (its own and, with --pg, other instances'), and the lag from commit to hearing them (p50/p99/max)",
  ].join('\n');
}

type ServerTls = {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  requireClientCert?: boolean;
};

/** The HTTPS settings: a development certificate (--dev-cert), the given files, or none. */
function serverTls(opts: VtnCliOptions): {
  tls?: ServerTls;
  dev?: ReturnType<typeof ensureDevCertificate>;
} {
  if (opts.devCert) {
    // Beside the store (the working directory for --memory and --pg), made once and reused.
    const storeIsFile = opts.store !== ':memory:' && !isPostgresUrl(opts.store);
    const dir = path.join(
      storeIsFile ? path.dirname(path.resolve(opts.store)) : process.cwd(),
      'openadr3-vtn-dev-tls',
    );
    const names = localNames();
    if (!['0.0.0.0', '::', ''].includes(opts.host) && !names.includes(opts.host.toLowerCase()))
      names.push(opts.host);
    const dev = ensureDevCertificate(dir, names);
    return { tls: { cert: dev.cert, key: dev.key, ca: dev.ca }, dev };
  }
  if (opts.tlsCert && opts.tlsKey) {
    return {
      tls: {
        cert: fs.readFileSync(opts.tlsCert),
        key: fs.readFileSync(opts.tlsKey),
        ca: opts.tlsCa ? fs.readFileSync(opts.tlsCa) : undefined,
        requireClientCert: opts.requireClientCert === true,
      },
    };
  }
  return {};
}

/** What the operator needs to know once the VTN listens: store, callbacks, TLS, clients, MQTT. */
function reportStartup(
  opts: VtnCliOptions,
  vtn: Vtn,
  url: string,
  tls: ServerTls | undefined,
  dev: ReturnType<typeof ensureDevCertificate> | undefined,
  clients: ReturnType<typeof parseClients> | undefined,
): void {
  console.log(
    `store: ${vtn.store.kind === 'memory' ? 'in memory' : isPostgresUrl(opts.store) ? vtn.store.kind : opts.store}`,
  );
  const extra = [opts.callbacks.lan && 'LAN', opts.callbacks.loopback && 'loopback'].filter(Boolean);
  console.log(
    `webhook callbacks: public https${extra.length ? `, ${extra.join(' and ')} (http too)` : ' only'}`,
  );
  if (dev) {
    const said: Record<string, string> = {
      none: 'reused',
      certificate: 'server certificate renewed',
      'ca and certificate': 'made',
    };
    console.log(`development certificate (${said[dev.created]}): ${dev.certFile}`);
    console.log(`  its CA, for VENs to trust: ${dev.caFile}`);
    console.log(`  e.g. curl --cacert ${dev.caFile} ${url.replace(vtn.basePath, '/')}`);
  } else if (tls)
    console.log(`TLS: ${opts.tlsCert}${tls.requireClientCert ? ' (client certificates required)' : ''}`);
  if (opts.behindProxy)
    console.log(
      `behind a TLS-terminating proxy; advertised as ${opts.publicUrl}; client addresses from its X-Forwarded-For`,
    );
  if (clients) console.log(`clients: ${clients.length} from ${opts.clients}`);
  else console.log('demo clients: bl_client / 1001 (BL), ven_client / 999 (VEN)');
  if (!clients && (!isLoopback(opts.host) || opts.behindProxy))
    console.warn(
      `WARNING: the demo clients' secrets are public and this VTN on ${opts.host} accepts them ` +
        '(--insecure-demo-clients): anyone who can reach it may publish prices. Use --clients FILE.',
    );
  if (opts.mqtt)
    console.log(`MQTT: publishing to ${redactUrl(opts.mqtt)} under ${opts.mqttPrefix ?? 'OpenADR/3.1.0'}/…`);
  if (opts.openPrograms?.length)
    console.log(`open programs (no token needed to read): ${opts.openPrograms.join(', ')}`);
}

/** Start the VTN as the options say; it runs until SIGINT/SIGTERM. */
async function serve(opts: VtnCliOptions): Promise<void> {
  // Your own clients (one "<clientID> <secret> <BL|VEN>" per line) instead of the demo ones.
  const clients = opts.clients ? parseClients(fs.readFileSync(opts.clients, 'utf8')) : undefined;
  const { tls, dev } = serverTls(opts);
  // Counted per change, printed per window: no per-event logging at hundreds of changes a second.
  const stats = opts.changeStats !== undefined ? new ChangeStats() : undefined;
  const vtn = await createVtn({
    store: opts.store,
    clients,
    pgPoolSize: opts.pool,
    pgConsistency: opts.consistency,
    webhooks: { timeoutMs: opts.webhookTimeout, pollMs: opts.webhookPoll },
    callbacks: opts.callbacks,
    statusPage: opts.statusPage !== false,
    tls,
    trustProxy: opts.behindProxy === true,
    publicUrl: opts.publicUrl,
    mqtt: opts.mqtt
      ? {
          url: opts.mqtt,
          prefix: opts.mqttPrefix,
          publicUrl: opts.mqttPublicUrl,
          tls: opts.mqttCa ? { ca: fs.readFileSync(opts.mqttCa) } : undefined,
        }
      : undefined,
    anonymousPrograms: opts.openPrograms,
    onChange: stats ? (change) => stats.record(change) : undefined,
    onError: (err) => console.error(`VTN error: ${err.message}`),
  });
  const { url, port } = await vtn.listen(opts.port, opts.host);
  console.log(`OpenADR 3.0.1 VTN listening at ${url}`);
  if (vtn.basePath31)
    console.log(`OpenADR 3.1.0 (same store) at ${url.replace(vtn.basePath, vtn.basePath31)}`);
  reportStartup(opts, vtn, url, tls, dev, clients);
  let announcement: Awaited<ReturnType<typeof announceVtn>> | undefined;
  if (opts.announce) {
    announcement = await announceVtn(vtn, {
      port,
      bindHost: opts.host,
      // local_url as VENs reach it: https with --tls-cert/--dev-cert (the Definition's form).
      scheme: opts.tls ? 'https' : 'http',
      name: opts.announceName,
      interfaces: opts.announceInterface ? [opts.announceInterface] : undefined,
      onWarning: (text) => console.warn(text),
    });
    const s = announcement.state();
    console.log(
      `announced on ${s.interfaces.join(', ')} as ${s.names.map((n) => `"${n}"`).join(', ')} (_openadr3._tcp) at ${s.hostname}:${port}`,
    );
  }
  let timer: NodeJS.Timeout | undefined;
  if (stats) {
    const print = (always: boolean) => {
      const s = stats.snapshot(true);
      if (always || s.heard > 0) console.log(formatChangeStats(s));
    };
    process.on('SIGUSR2', () => print(true));
    if (opts.changeStats! > 0) timer = setInterval(() => print(false), opts.changeStats! * 1000);
    console.log(
      `change stats: ${opts.changeStats! > 0 ? `every ${opts.changeStats} s (when any) and ` : ''}on SIGUSR2 (kill -USR2 ${process.pid})`,
    );
  }
  const stop = () => {
    if (timer) clearInterval(timer);
    // Goodbye first, so VENs browsing the LAN drop this VTN at once.
    Promise.resolve(announcement?.stop())
      .catch(() => undefined)
      .then(() => vtn.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * Run the command line. `invocation` is how the user started it (`openadr3-vtn`, or
 * `npm run vtn --` in a checkout), used in usage and error messages.
 */
export async function runVtnCli(argv: string[], invocation = 'openadr3-vtn'): Promise<void> {
  const name = invocation.replace(/ --$/, '');
  let opts: VtnCliOptions;
  try {
    opts = parseVtnArgs(argv);
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(usage(invocation));
    return;
  }
  try {
    await serve(opts);
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (require.main === module) void runVtnCli(process.argv.slice(2));

/**
 * A small LAN for local-operation tests: two network namespaces joined by a veth pair, made by
 * the test itself (root only). Multicast does not cross loopback, so mDNS needs a real link;
 * all traffic stays inside the two namespaces. Every process runs in one of them through
 * `ip netns exec`, in a UTS namespace of its own with the host name of that side ("a machine").
 *
 * Not root: the suite is skipped with the reason — except under CI=true, where it fails.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { createCertificateAuthority, issueCertificate } from '../../src/tls/certificates';
import { requireTool } from './tools';

export interface Host {
  /** Namespace name. */
  ns: string;
  /** veth end inside it. */
  iface: string;
  /** Its IPv4 address now (changes with moveTo). */
  address: string;
  /** The machine name processes started here see (and announce as `<hostname>.local`). */
  hostname: string;
}

export interface NsProcess {
  child: ChildProcess;
  /** Write one line to its standard input. */
  send(line: string): void;
  log(): string;
  /** Wait until the output matches (or the process ends, or the time is up). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface Lan {
  a: Host;
  b: Host;
  /** Run a command in a host's namespace (and its own UTS namespace with the host's name). */
  run(
    host: Host,
    command: string,
    args: string[],
    /** hostname: another machine name than the host's (a second "computer" in that namespace). */
    options?: { env?: Record<string, string>; cwd?: string; hostname?: string },
  ): NsProcess;
  /** `ip` inside a namespace, synchronously; throws with its stderr on failure. */
  ip(host: Host, ...args: string[]): string;
  /**
   * Make a TCP port on a host's loopback reachable from this process (a Unix socket crosses
   * namespaces): socat listens on the socket inside, a local TCP port connects to it here.
   */
  reach(host: Host, port: number): Promise<{ url: string; close(): Promise<void> }>;
  /** How to start a Node-RED (startNodeRed's runIn) inside a host's namespace. */
  nodeRedIn(host: Host): {
    prefix: string[];
    reach(port: number): Promise<{ url: string; close(): Promise<void> }>;
  };
  /** Give a host another address (as DHCP would): the old one goes away. */
  moveTo(host: Host, address: string): void;
  destroy(): Promise<void>;
}

let counter = 0;

/**
 * Make the LAN, or skip the calling suite (not root / no `ip` / no `unshare`) — under CI=true
 * a missing piece is a failure.
 */
export function requireLan(ctx: Mocha.Context): void {
  const reason =
    process.platform !== 'linux'
      ? 'network namespaces need Linux'
      : process.getuid?.() !== 0
        ? 'network namespaces need root (ip netns add)'
        : '';
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`CI=true and the LAN tests cannot run: ${reason}`);
    console.log(`      skipped: ${reason}`);
    ctx.skip();
  }
  requireTool(ctx, 'ip', 'iproute2');
  requireTool(ctx, 'unshare', 'util-linux');
  requireTool(ctx, 'socat');
}

function sh(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

export async function createLan(names: { a?: string; b?: string } = {}): Promise<Lan> {
  // Short unique names: interface names hold 15 characters.
  const id = `${(process.pid % 10000).toString(36)}${(counter++).toString(36)}`;
  const a: Host = {
    ns: `oa3-${id}-a`,
    iface: `oa3${id}a`,
    address: '10.231.0.1',
    hostname: names.a ?? 'vtn-home',
  };
  const b: Host = {
    ns: `oa3-${id}-b`,
    iface: `oa3${id}b`,
    address: '10.231.0.2',
    hostname: names.b ?? 'heater',
  };
  const processes = new Set<NsProcess>();
  const made: string[] = [];
  try {
    for (const h of [a, b]) {
      sh('ip', ['netns', 'add', h.ns]);
      made.push(h.ns);
    }
    sh('ip', ['link', 'add', a.iface, 'type', 'veth', 'peer', 'name', b.iface]);
    for (const h of [a, b]) {
      sh('ip', ['link', 'set', h.iface, 'netns', h.ns]);
      sh('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', h.iface]);
      sh('ip', ['-n', h.ns, 'link', 'set', h.iface, 'up']);
      // Multicast (mDNS: 224.0.0.251) goes out on the link; there is no default route.
      sh('ip', ['-n', h.ns, 'route', 'add', '224.0.0.0/4', 'dev', h.iface]);
    }
  } catch (err) {
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
    throw err;
  }

  const run: Lan['run'] = (host, command, args, options = {}) => {
    const [ip, ...inHost] = inHostPrefix(host, options.hostname);
    const child = spawn(ip, [...inHost, command, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const waiters = new Set<() => void>();
    const onData = (d: Buffer): void => {
      out += d.toString();
      for (const w of waiters) w();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      for (const w of waiters) w();
    });
    child.stdin!.on('error', () => undefined); // a process that ended does not take the test down
    const p: NsProcess = {
      child,
      send: (line) => {
        child.stdin!.write(`${line}\n`);
      },
      log: () => out,
      waitFor: (pattern, timeoutMs = 20000) =>
        new Promise((resolve, reject) => {
          const check = (): void => {
            const m = pattern.exec(out);
            if (m) {
              done();
              resolve(m);
            } else if (child.exitCode !== null || child.signalCode !== null) {
              done();
              reject(
                new Error(
                  `${command} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}`,
                ),
              );
            }
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`no ${pattern} from ${command} within ${timeoutMs} ms:\n${out}`));
          }, timeoutMs);
          const done = (): void => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        }),
      stop: async (graceMs = 5000) => {
        processes.delete(p);
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
    processes.add(p);
    return p;
  };

  const reach: Lan['reach'] = async (host, port) => {
    const sock = path.join(os.tmpdir(), `oa3-${id}-${host.hostname}-${port}.sock`);
    fs.rmSync(sock, { force: true });
    const socat = run(host, 'socat', [`UNIX-LISTEN:${sock},fork`, `TCP:127.0.0.1:${port}`]);
    await waitForFile(sock);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((c) => {
      const u = net.connect(sock);
      sockets.add(c).add(u);
      const end = (): void => {
        c.destroy();
        u.destroy();
        sockets.delete(c);
        sockets.delete(u);
      };
      c.on('error', end).on('close', end);
      u.on('error', end).on('close', end);
      c.pipe(u).pipe(c);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const local = (server.address() as net.AddressInfo).port;
    return {
      url: `http://127.0.0.1:${local}`,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await socat.stop(1000);
        fs.rmSync(sock, { force: true });
      },
    };
  };

  return {
    a,
    b,
    run,
    reach,
    nodeRedIn: (host) => ({
      prefix: inHostPrefix(host),
      reach: (port) => reach(host, port),
    }),
    ip: (host, ...args) => sh('ip', ['-n', host.ns, ...args]),
    moveTo(host, address) {
      sh('ip', ['-n', host.ns, 'addr', 'del', `${host.address}/24`, 'dev', host.iface]);
      sh('ip', ['-n', host.ns, 'addr', 'add', `${address}/24`, 'dev', host.iface]);
      host.address = address;
    },
    async destroy() {
      await Promise.all([...processes].map((p) => p.stop(2000)));
      // Deleting a namespace removes its end of the veth pair, and with it the other end.
      for (const ns of [a.ns, b.ns]) spawnSync('ip', ['netns', 'del', ns]);
    },
  };
}

/**
 * avahi-daemon (with a private D-Bus) in a host's namespace, so `avahi-browse` can show what is
 * announced there, as on any Linux desktop. Returns how to run avahi-browse and how to stop both.
 */
export async function startAvahi(
  ctx: Mocha.Context,
  lan: Lan,
  host: Host,
): Promise<{ browse(args: string[], timeoutMs: number): Promise<string>; stop(): Promise<void> }> {
  requireTool(ctx, 'avahi-daemon', 'avahi-daemon');
  requireTool(ctx, 'avahi-browse', 'avahi-utils');
  requireTool(ctx, 'dbus-daemon', 'dbus');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa3-avahi-'));
  const bus = `unix:path=${dir}/bus`;
  fs.writeFileSync(
    path.join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>${bus}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
`,
  );
  fs.writeFileSync(
    path.join(dir, 'avahi.conf'),
    `[server]\nhost-name=${host.hostname}\nallow-interfaces=${host.iface}\nenable-dbus=yes\n[publish]\ndisable-publishing=yes\n[wide-area]\nenable-wide-area=no\n`,
  );
  const env = { DBUS_SYSTEM_BUS_ADDRESS: bus };
  const dbus = lan.run(host, 'dbus-daemon', [
    '--config-file',
    path.join(dir, 'bus.conf'),
    '--nofork',
    '--nopidfile',
  ]);
  await waitForFile(path.join(dir, 'bus'));
  // avahi-daemon keeps its pid file in /run/avahi-daemon: a private tmpfs there (this process has
  // its own mount namespace from `ip netns exec`) keeps it from meeting any other avahi.
  const avahi = lan.run(
    host,
    'sh',
    [
      '-c',
      'mount -t tmpfs none /run/avahi-daemon 2>/dev/null || { mkdir -p /run/avahi-daemon && mount -t tmpfs none /run/avahi-daemon; }; exec avahi-daemon -f "$0" --no-drop-root --no-chroot --no-rlimits',
      path.join(dir, 'avahi.conf'),
    ],
    { env },
  );
  await avahi.waitFor(/Server startup complete/, 15000);
  return {
    async browse(args, timeoutMs) {
      const p = lan.run(host, 'stdbuf', ['-oL', 'avahi-browse', ...args], { env });
      await new Promise((r) => setTimeout(r, timeoutMs));
      await p.stop(1000);
      return p.log();
    },
    async stop() {
      await avahi.stop();
      await dbus.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForFile(file: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > until) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The command line that runs a command in `host`'s namespace under its own machine name
 * (`unshare --uts`), as a separate computer would have: append the command and its arguments.
 */
function inHostPrefix(host: Host, hostname = host.hostname): string[] {
  return [
    'ip',
    'netns',
    'exec',
    host.ns,
    'unshare',
    '--uts',
    '--',
    'sh',
    '-c',
    'hostname "$0" && exec "$@"',
    hostname,
  ];
}

export interface LanCertificates {
  /** The CA every VEN of the LAN tests trusts (PEM file). */
  caFile: string;
  /** Server certificate and key files for a host, valid for `<host>.local` (and `extraNames`). */
  forHost(hostname: string, extraNames?: string[]): { certFile: string; keyFile: string };
}

/**
 * A CA of the LAN's own and server certificates it issues for `<host>.local` — what a home
 * gateway serving its VTN over HTTPS has. Made once per test process (key generation is slow).
 */
export function lanCertificates(): LanCertificates {
  if (certificates) return certificates;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa3-lan-tls-'));
  const ca = createCertificateAuthority({ commonName: 'LAN test CA' });
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, ca.cert);
  const made = new Map<string, { certFile: string; keyFile: string }>();
  certificates = {
    caFile,
    forHost(hostname, extraNames = []) {
      let files = made.get(hostname);
      if (!files) {
        const pair = issueCertificate(ca, {
          commonName: `${hostname}.local`,
          names: [`${hostname}.local`, ...extraNames],
        });
        files = {
          certFile: path.join(dir, `${hostname}.pem`),
          keyFile: path.join(dir, `${hostname}-key.pem`),
        };
        fs.writeFileSync(files.certFile, pair.cert);
        fs.writeFileSync(files.keyFile, pair.key, { mode: 0o600 });
        made.set(hostname, files);
      }
      return files;
    },
  };
  return certificates;
}
let certificates: LanCertificates | undefined;

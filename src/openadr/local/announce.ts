/**
 * Announce a local VTN with mDNS / DNS-SD (RFC 6762 / 6763) as the OpenADR 3.1.0 Definition
 * describes: service type `_openadr3._tcp`, a PTR to the service instance, an SRV with the
 * `.local` host name and port, A/AAAA records, and the TXT record of txt.ts — one announcement
 * per served API version, all on the one host name.
 *
 * The responder is bonjour-service (on multicast-dns), one instance per announcement. It cannot
 * change a TXT record in place, so a change of program_names re-announces: a goodbye for the old
 * records and the new ones at once (a watching browser sees the VTN leave and come back within
 * milliseconds). It computes A/AAAA records when it announces, so the interfaces are watched
 * here and the VTN re-announced when its addresses change (a new DHCP lease).
 * (@homebridge/ciao, otherwise the better responder, refuses two services on one host name.)
 */
import os from 'os';
import { Bonjour, type Service } from 'bonjour-service';
import { resolveVtn } from './browse';
import { OPENADR3_SERVICE, vtnTxtRecord } from './txt';

export interface AnnouncedApi {
  /** e.g. 3.1.0 */
  version: string;
  /** Path of the API on the server, e.g. /openadr3/3.1.0 */
  basePath: string;
  /** Path of its OpenAPI YAML on the server, e.g. /openadr3/3.1.0/openapi.yaml */
  openapiPath: string;
}

export interface AnnounceOptions {
  /**
   * The service instance name of the 3.1.0 announcement (others get the version appended:
   * "Home VTN (3-0-1)"). Dots are replaced by dashes: several DNS-SD stacks split names on them.
   * Default "OpenADR VTN on <host name>".
   */
  name?: string;
  /** The host name, without `.local` (default: this machine's name up to the first dot). */
  hostname?: string;
  /**
   * Network interfaces (names like eth0, or one of their addresses) to announce on. Default:
   * every interface that has an address and is not loopback.
   */
  interfaces?: string[];
  port: number;
  /** How VENs reach the API (local_url); the Definition asks for https. */
  scheme: 'http' | 'https';
  apis: AnnouncedApi[];
  requiresAuth: boolean;
  programNames: string[];
  /** Something worth a warning: a renamed instance or host, program names left out of the TXT. */
  onWarning?: (text: string) => void;
}

export interface AnnouncementState {
  /** Instance names as announced (after any conflict renaming), one per API version. */
  names: string[];
  hostname: string;
  interfaces: string[];
  programNames: string[];
}

/** Instance names: DNS-SD allows dots in them, but several mDNS stacks read a dot as a label break. */
export function instanceName(name: string, version: string, primary: boolean): string {
  const base = name.replace(/\./g, '-').trim();
  return primary ? base : `${base} (${version.replace(/\./g, '-')})`;
}

/** This machine's name as the first label of a `.local` name. */
export function defaultHostname(): string {
  const first = os.hostname().split('.')[0] || 'openadr-vtn';
  return first.replace(/[^A-Za-z0-9-]/g, '-');
}

/**
 * Interfaces worth announcing on: with an address, not loopback. Given the address the VTN is
 * bound to, only the interface that has it (the VTN is not reachable elsewhere).
 */
export function announceInterfaces(bindHost?: string): string[] {
  const all = os.networkInterfaces();
  const wildcard = !bindHost || bindHost === '0.0.0.0' || bindHost === '::';
  const names: string[] = [];
  for (const [name, infos] of Object.entries(all)) {
    if (!infos || infos.some((i) => i.internal)) continue;
    if (wildcard || infos.some((i) => i.address === bindHost)) names.push(name);
  }
  return names;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '::ffff:127.0.0.1';
}

/** How often the interfaces are checked for new addresses (ms). */
const ADDRESS_CHECK_MS = 5000;

/** The non-loopback addresses of some interfaces, as one comparable string. */
function addressesOf(interfaces: string[]): string {
  const all = os.networkInterfaces();
  return interfaces
    .flatMap((name) => (all[name] ?? []).map((i) => `${name}=${i.address}`))
    .sort()
    .join(' ');
}

/** The IPv4 address multicast-dns joins the group on, for an interface name or address. */
function socketAddress(iface: string): string | undefined {
  const infos = os.networkInterfaces()[iface];
  if (!infos) return iface.includes('.') ? iface : undefined;
  return infos.find((i) => i.family === 'IPv4')?.address;
}

interface Announcement {
  api: AnnouncedApi;
  bonjour: Bonjour;
  name: string;
  service?: Service;
}

export class VtnAnnouncer {
  private announcements: Announcement[] = [];
  private readonly hostname: string;
  private programNames: string[];
  private readonly interfaces: string[];
  private addresses = '';
  private addressTimer: NodeJS.Timeout | undefined;
  /** Re-announcements run one after another, in order. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: AnnounceOptions) {
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535)
      throw new Error(`announce: port must be 1..65535 (got ${options.port})`);
    if (options.apis.length === 0) throw new Error('announce: no API version to announce');
    this.hostname = (options.hostname?.trim() || defaultHostname()).replace(/\.local\.?$/i, '');
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(this.hostname))
      throw new Error(`announce: "${this.hostname}" is not a host name (letters, digits, dashes)`);
    this.programNames = [...options.programNames];
    this.interfaces = options.interfaces?.length ? [...options.interfaces] : announceInterfaces();
    if (this.interfaces.length === 0)
      throw new Error('announce: no network interface to announce on (only loopback here)');
    for (const i of this.interfaces)
      if (
        socketAddress(i) === undefined &&
        !Object.values(os.networkInterfaces()).some((l) => l?.some((a) => a.address === i))
      )
        throw new Error(`announce: no network interface ${i} with an IPv4 address on this machine`);
  }

  /**
   * Start announcing. A service instance name another VTN on the network already uses gets a
   * number ("Home VTN (2)"), with a warning. Resolves once every announcement went out.
   */
  async start(): Promise<void> {
    if (this.announcements.length) return;
    const primary = this.options.apis.find((a) => a.version === '3.1.0') ?? this.options.apis[0];
    const base = this.options.name?.trim() || `OpenADR VTN on ${this.hostname}`;
    // Both names are looked up at once: each lookup listens for most of a second.
    const names = await Promise.all(
      this.options.apis.map((api) => this.freeName(instanceName(base, api.version, api === primary))),
    );
    for (const [i, api] of this.options.apis.entries()) {
      const wanted = instanceName(base, api.version, api === primary);
      if (names[i] !== wanted)
        this.options.onWarning?.(
          `mDNS: another service on the network is called "${wanted}"; announced as "${names[i]}"`,
        );
      this.announcements.push({ api, bonjour: this.responder(), name: names[i] });
    }
    await Promise.all(this.announcements.map((a) => this.publish(a, true)));
    this.addresses = addressesOf(this.interfaces);
    this.addressTimer = setInterval(() => {
      const now = addressesOf(this.interfaces);
      if (now === this.addresses) return;
      this.addresses = now;
      this.reannounce(true);
    }, ADDRESS_CHECK_MS);
    this.addressTimer.unref();
  }

  /**
   * A responder with its own socket. One interface: multicast-dns joins the group on that
   * interface's address (so a new address needs a new socket); several: on every interface.
   */
  private responder(): Bonjour {
    const only = this.interfaces.length === 1 ? socketAddress(this.interfaces[0]) : undefined;
    return new Bonjour(only ? ({ interface: only, bind: '0.0.0.0' } as never) : {}, (err: Error) =>
      this.options.onWarning?.(`mDNS: ${err.message}`),
    );
  }

  /** The name, or the first "name (n)" no other service answers to. */
  private async freeName(wanted: string): Promise<string> {
    for (let n = 1; n < 50; n++) {
      const candidate = n === 1 ? wanted : `${wanted} (${n})`;
      const taken = await resolveVtn(candidate, {
        timeoutMs: 700,
        interface: this.interfaces.length === 1 ? this.interfaces[0] : undefined,
      }).then(
        () => true,
        () => false,
      );
      if (!taken) return candidate;
    }
    throw new Error(`announce: every name like "${wanted}" is taken on the network`);
  }

  private publish(a: Announcement, probe: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const service = a.bonjour.publish({
        name: a.name,
        type: OPENADR3_SERVICE,
        protocol: 'tcp',
        port: this.options.port,
        host: `${this.hostname}.local`,
        txt: this.txtFor(a.api),
        probe,
      });
      a.service = service;
      // bonjour-service only logs a name conflict found while probing: no 'up' means one.
      const timer = setTimeout(
        () =>
          reject(new Error(`announce: "${a.name}" was not announced (is the name in use on the network?)`)),
        5000,
      );
      service.once('up', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Withdraw and announce again with the current records (TXT, addresses); after an address
   * change on a new socket (the old one was joined to the group on the old address).
   */
  private reannounce(newSocket = false): void {
    this.queue = this.queue.then(async () => {
      for (const a of this.announcements) {
        if (this.stopped) return;
        const old = a.service;
        if (old) await new Promise<void>((r) => old.stop?.(() => r()));
        if (newSocket) {
          const gone = a.bonjour;
          a.bonjour = this.responder();
          await new Promise<void>((r) => gone.destroy(() => r()));
        }
        if (this.stopped) return;
        await this.publish(a, false).catch((err: Error) => this.options.onWarning?.(err.message));
      }
    });
  }

  /** The programs changed: announce the new program_names. */
  updatePrograms(programNames: string[]): void {
    const same =
      programNames.length === this.programNames.length &&
      programNames.every((n, i) => n === this.programNames[i]);
    if (same || this.stopped) return;
    this.programNames = [...programNames];
    this.reannounce();
  }

  /** Resolves when every re-announcement asked for so far went out. */
  settled(): Promise<void> {
    return this.queue;
  }

  private txtFor(api: AnnouncedApi): Record<string, string> {
    const origin = `${this.options.scheme}://${this.hostname}.local:${this.options.port}`;
    const { txt, omitted } = vtnTxtRecord({
      version: api.version,
      basePath: api.basePath,
      localUrl: `${origin}${api.basePath}`,
      openapiUrl: `${origin}${api.openapiPath}`,
      programNames: this.programNames,
      requiresAuth: this.options.requiresAuth,
    });
    if (omitted.length)
      this.options.onWarning?.(
        `mDNS: program_names leaves out ${omitted.map((n) => `"${n}"`).join(', ')} (a comma in the name, or over the 255 bytes a TXT entry holds)`,
      );
    return txt;
  }

  state(): AnnouncementState {
    return {
      names: this.announcements.map((a) => a.name),
      hostname: `${this.hostname}.local`,
      interfaces: [...this.interfaces],
      programNames: [...this.programNames],
    };
  }

  /** Withdraw every announcement (goodbye packets: browsers drop the VTN at once) and let go. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.addressTimer) clearInterval(this.addressTimer);
    await this.queue.catch(() => undefined);
    const all = this.announcements;
    this.announcements = [];
    await Promise.all(
      all.map(
        (a) =>
          new Promise<void>((resolve) => {
            a.bonjour.unpublishAll(() => {
              a.bonjour.destroy(() => resolve());
            });
          }),
      ),
    );
  }
}

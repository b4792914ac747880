/**
 * Find local VTNs with mDNS / DNS-SD: browse `_openadr3._tcp` (bonjour-service's Browser on a
 * multicast-dns socket), resolve one VTN by its service instance name, and resolve a `.local`
 * host name to its addresses (a VEN connects by host name, as the Definition prefers, and a
 * machine without an mDNS resolver of its own — most containers — could not look it up).
 */
import os from 'os';
import { Browser, type Service } from 'bonjour-service';
import makeMdns from 'multicast-dns';
import { OPENADR3_SERVICE, readVtnTxt, type AnnouncedVtn } from './txt';

export interface BrowseOptions {
  /** Network interface (name such as eth0, or its IPv4 address) to browse on; default all. */
  interface?: string;
}

const SUFFIX = /\._openadr3\._tcp\.local\.?$/i;

/** multicast-dns wants the interface's IPv4 address; accept a name too. */
function interfaceAddress(iface: string | undefined): string | undefined {
  if (!iface) return undefined;
  const infos = os.networkInterfaces()[iface];
  if (!infos) {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(iface)) return iface;
    throw new Error(`no network interface ${iface} on this machine`);
  }
  const v4 = infos.find((i) => i.family === 'IPv4');
  if (!v4) throw new Error(`network interface ${iface} has no IPv4 address to browse on`);
  return v4.address;
}

function openSocket(options: BrowseOptions): makeMdns.MulticastDNS {
  const address = interfaceAddress(options.interface);
  // Bound to the wildcard address: bound to a unicast one, Linux delivers no multicast to it.
  return makeMdns(address ? { interface: address, bind: '0.0.0.0' } : {});
}

/** A browser's service record as the VTN it describes. */
function toVtn(s: Service): AnnouncedVtn {
  const fqdn = String((s as Service & { fqdn?: string }).fqdn ?? s.name);
  // The instance name from the full name (bonjour-service cuts names at their first dot).
  const name = fqdn.replace(SUFFIX, '').replace(/\\(.)/g, '$1');
  return readVtnTxt(
    name,
    String(s.host ?? ''),
    Number(s.port),
    (s.addresses ?? []).map(String),
    (s.txt ?? {}) as Record<string, unknown>,
  );
}

export interface VtnWatch {
  /** The VTNs known now. */
  list(): AnnouncedVtn[];
  /** Ask the network again (a new query; answers update the list). */
  query(): void;
  stop(): Promise<void>;
}

export interface WatchOptions extends BrowseOptions {
  onUp?: (vtn: AnnouncedVtn) => void;
  /** A VTN said goodbye (stopped, redeployed) or its records expired. */
  onDown?: (vtn: AnnouncedVtn) => void;
  /** Its TXT (programs, auth) or SRV (host, port) changed. */
  onUpdate?: (vtn: AnnouncedVtn) => void;
  /** Query again this often (ms) so changes announced while a packet was lost still arrive. Default 10000. */
  requeryMs?: number;
  onError?: (err: Error) => void;
}

/** Keep browsing: VTNs come, change and go (goodbye packets) while it runs. */
export function watchVtns(options: WatchOptions = {}): VtnWatch {
  const mdns = openSocket(options);
  mdns.on('error', (err: Error) => options.onError?.(err));
  const browser = new Browser(mdns, { type: OPENADR3_SERVICE, protocol: 'tcp' });
  browser.on('up', (s) => options.onUp?.(toVtn(s)));
  browser.on('down', (s) => options.onDown?.(toVtn(s)));
  browser.on('txt-update', (s) => options.onUpdate?.(toVtn(s)));
  browser.on('srv-update', (s) => options.onUpdate?.(toVtn(s)));
  const timer = setInterval(() => {
    browser.expire();
    browser.update();
  }, options.requeryMs ?? 10_000);
  timer.unref();
  let stopped = false;
  return {
    list: () => browser.services.map(toVtn).sort((a, b) => a.name.localeCompare(b.name)),
    query: () => browser.update(),
    stop: () => {
      if (stopped) return Promise.resolve();
      stopped = true;
      clearInterval(timer);
      browser.stop();
      return new Promise<void>((resolve) => mdns.destroy(() => resolve()));
    },
  };
}

/**
 * Browse for `durationMs` (default 3 s) and return what answered, sorted by name. Queries three
 * times (at 0, ⅓ and ⅔ of the time): mDNS runs over UDP, and one lost packet should not hide a VTN.
 */
export async function browseVtns(
  options: BrowseOptions & { durationMs?: number } = {},
): Promise<AnnouncedVtn[]> {
  const duration = options.durationMs ?? 3000;
  const watch = watchVtns({ ...options, requeryMs: Math.max(100, Math.floor(duration / 3)) });
  try {
    await new Promise((r) => setTimeout(r, duration));
    return watch.list();
  } finally {
    await watch.stop();
  }
}

export class VtnNotFoundError extends Error {
  constructor(
    readonly instanceName: string,
    timeoutMs: number,
  ) {
    super(`no VTN "${instanceName}" announced on the network (mDNS, ${timeoutMs / 1000} s)`);
    this.name = 'VtnNotFoundError';
  }
}

/** DNS names compare case-insensitively (ASCII). */
const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Find one VTN by its service instance name; resolves as soon as it answers. */
export async function resolveVtn(
  instanceName: string,
  options: BrowseOptions & { timeoutMs?: number } = {},
): Promise<AnnouncedVtn> {
  const wanted = instanceName.trim().replace(SUFFIX, '');
  if (!wanted) throw new Error('no service instance name given');
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise<AnnouncedVtn>((resolve, reject) => {
    let done = false;
    const finish = (vtn: AnnouncedVtn | undefined, err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void watch
        .stop()
        .then(() => (vtn ? resolve(vtn) : reject(err ?? new VtnNotFoundError(wanted, timeoutMs))));
    };
    const consider = (vtn: AnnouncedVtn): void => {
      if (sameName(vtn.name, wanted)) finish(vtn);
    };
    const watch = watchVtns({
      ...options,
      requeryMs: Math.max(100, Math.floor(timeoutMs / 3)),
      onUp: consider,
      onUpdate: consider,
      onError: (err) => finish(undefined, err),
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
  });
}

/**
 * The addresses of a `.local` host (A and AAAA queries over mDNS), IPv4 first; [] when nobody
 * answered within `timeoutMs` (default 2 s). IPv6 link-local addresses are left out: without an
 * interface scope they cannot be connected to.
 */
export async function resolveLocalHost(
  host: string,
  options: BrowseOptions & { timeoutMs?: number } = {},
): Promise<string[]> {
  const name = host.replace(/\.$/, '');
  if (!/\.local$/i.test(name)) throw new Error(`${host} is not a .local host name`);
  const mdns = openSocket(options);
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.timeoutMs ?? 2000);
      let settle: NodeJS.Timeout | undefined;
      mdns.on('error', () => undefined);
      mdns.on('response', (packet) => {
        for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
          if (!sameName(String(rr.name), name) || (rr as { ttl?: number }).ttl === 0) continue;
          if (rr.type === 'A') v4.add(String(rr.data));
          else if (rr.type === 'AAAA' && !/^fe80:/i.test(String(rr.data))) v6.add(String(rr.data));
        }
        // The first answer is usually all there is; wait a moment for an AAAA in another packet.
        if ((v4.size || v6.size) && !settle) {
          settle = setTimeout(() => {
            clearTimeout(timer);
            resolve();
          }, 150);
        }
      });
      const ask = (): void =>
        mdns.query({
          questions: [
            { name, type: 'A' },
            { name, type: 'AAAA' },
          ],
        });
      ask();
      // One repeat for a lost packet.
      setTimeout(() => !v4.size && !v6.size && ask(), 500).unref();
    });
  } finally {
    await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
  }
  return [...v4, ...v6];
}

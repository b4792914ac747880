/**
 * A host-name lookup for connections to local VTNs: `<host>.local` names are asked on the LAN
 * with mDNS (every new connection asks again, so a VTN whose DHCP address changed is reached at
 * its new one), other names go to the system resolver. The URL keeps the `.local` name, so the
 * Host header and the TLS certificate check use the name, not an address.
 */
import dns from 'dns';
import type { LookupFunction } from 'net';
import { resolveLocalHost, type BrowseOptions } from './browse';

type LookupAddress = { address: string; family: number };

export function localLookup(options: BrowseOptions & { timeoutMs?: number } = {}): LookupFunction {
  return ((hostname: string, opts: dns.LookupOptions | number, callback: (...args: unknown[]) => void) => {
    const o: dns.LookupOptions = typeof opts === 'number' ? { family: opts } : (opts ?? {});
    const system = (): void => {
      dns.lookup(hostname, { ...o, all: true }, (err, list) => answer(err, list));
    };
    const answer = (err: NodeJS.ErrnoException | null, list: LookupAddress[]): void => {
      if (err) return callback(err);
      const family = o.family === 'IPv4' ? 4 : o.family === 'IPv6' ? 6 : o.family;
      const wanted = family === 4 || family === 6 ? list.filter((a) => a.family === family) : list;
      if (wanted.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        e.code = 'ENOTFOUND';
        return callback(e);
      }
      if (o.all) callback(null, wanted);
      else callback(null, wanted[0].address, wanted[0].family);
    };
    if (!/\.local\.?$/i.test(hostname)) return system();
    resolveLocalHost(hostname, options).then(
      (addresses) => {
        if (addresses.length === 0) return system(); // nobody answered: maybe the system knows it
        answer(
          null,
          addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        );
      },
      () => system(),
    );
  }) as LookupFunction;
}

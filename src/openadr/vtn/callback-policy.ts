/**
 * Which webhook callback destinations a subscription may name, so that a subscriber cannot use the
 * VTN to probe the networks it sits in. Public destinations (https) are always allowed; LAN and
 * loopback destinations each only when the VTN's settings allow them (then plain http too);
 * link-local (169.254.0.0/16, fe80::/10 — cloud metadata services live there), unspecified,
 * multicast, broadcast and reserved addresses never.
 *
 * Addresses are classified with ipaddr.js, which reads every spelling a URL or resolver may produce
 * (decimal `2130706433`, hex `0x7f000001`, octal `0177.0.0.1`, `::ffff:` mapped, NAT64 and other
 * IPv6 forms). A URL names a host; the address a delivery actually connects to is checked again by
 * `policyLookup` (DNS may answer differently at delivery than at subscription).
 */
import dns from 'dns';
import ipaddr from 'ipaddr.js';

export interface CallbackPolicy {
  /** Allow private-network destinations: 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, `.local`. */
  lan?: boolean;
  /** Allow this machine: 127/8, ::1, `localhost`. */
  loopback?: boolean;
}

export type DestinationClass = 'public' | 'lan' | 'loopback' | 'never';

/** The class of an IP address in any spelling ipaddr.js reads; undefined when it is not one. */
export function addressClass(text: string): DestinationClass | undefined {
  const host = text.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(host)) return undefined;
  let addr: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(host);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    const range = v6.range();
    if (range === 'ipv4Mapped') addr = v6.toIPv4Address();
    else if (range === 'rfc6052') {
      // NAT64 (64:ff9b::/96): the gateway connects to the IPv4 address in the last 32 bits.
      const b = v6.toByteArray();
      addr = new ipaddr.IPv4(b.slice(12));
    }
  }
  const range = addr.range();
  if (range === 'loopback') return 'loopback';
  if (range === 'private' || range === 'uniqueLocal' || range === 'carrierGradeNat') return 'lan';
  if (range === 'unicast') return 'public';
  return 'never'; // linkLocal, unspecified, multicast, broadcast, reserved, 6to4, teredo, …
}

/** The class of a URL host name: IP literals by address, a few names by definition, others unknown. */
function hostClass(hostname: string): DestinationClass | undefined {
  const byAddress = addressClass(hostname);
  if (byAddress) return byAddress;
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback'; // RFC 6761
  if (host.endsWith('.local')) return 'lan'; // mDNS
  return undefined; // a DNS name: decided by the address it resolves to at delivery
}

const WHY: Record<Exclude<DestinationClass, 'public'>, string> = {
  lan: 'is a LAN address; this VTN allows LAN callbacks only with its LAN setting',
  loopback: 'is this machine (loopback); this VTN allows such callbacks only with its loopback setting',
  never: 'is a link-local, unspecified, multicast or reserved address, never allowed',
};

/** Whether a destination class may be connected to under the policy (and with this scheme). */
export function classAllowed(c: DestinationClass, policy: CallbackPolicy, secure: boolean): boolean {
  if (c === 'never') return false;
  if (c === 'public') return secure;
  return c === 'lan' ? !!policy.lan : !!policy.loopback;
}

/** undefined when allowed, else the reason (for a 400 detail). */
export function callbackUrlProblem(url: string, policy: CallbackPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return `must use https (got ${parsed.protocol})`;
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  const secure = parsed.protocol === 'https:';
  const c = hostClass(parsed.hostname);
  if (c === undefined) {
    // Another DNS name: https only (its address is checked when delivering). Plain http is for the
    // LAN and this machine, which a name says nothing about: use the address or a .local name.
    if (secure) return undefined;
    return 'must use https (plain http only to a LAN or loopback address, where this VTN allows those)';
  }
  if (c !== 'public' && !classAllowed(c, policy, secure)) return `${parsed.hostname} ${WHY[c]}`;
  if (c === 'public' && !secure) return 'must use https to a public address';
  return undefined;
}

/** Thrown (as a lookup error) when a callback's host resolves only to addresses the policy refuses. */
export const POLICY_REFUSED = 'ECALLBACKPOLICY';

type LookupAll = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for http(s).request that resolves with `resolve` (dns.lookup by default) and hands
 * the socket only addresses the policy allows: the check applies to the address connected to,
 * not to what the name resolved to when the subscription was written.
 */
export function policyLookup(
  policy: CallbackPolicy,
  secure: boolean,
  resolve: typeof dns.lookup = dns.lookup,
) {
  return (
    hostname: string,
    options: dns.LookupOptions,
    callback: (
      err: NodeJS.ErrnoException | null,
      address: string | dns.LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    (resolve as unknown as LookupAll)(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const allowed = (addresses ?? []).filter((a) => {
        const c = addressClass(a.address);
        return c !== undefined && classAllowed(c, policy, secure);
      });
      if (!allowed.length) {
        const e: NodeJS.ErrnoException = new Error(
          `${hostname} resolves only to addresses the callback policy refuses`,
        );
        e.code = POLICY_REFUSED;
        return callback(e, '');
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

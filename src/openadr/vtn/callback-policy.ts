/**
 * Which webhook callback URLs a subscription may name: https anywhere; plain http only to
 * loopback or private-LAN hosts, and only when the VTN allows insecure callbacks (the demo does).
 */
import net from 'net';

export interface CallbackPolicy {
  allowInsecure: boolean;
}

function isPrivateIPv4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return (
    a === 127 ||
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
}

/** True for localhost, loopback and RFC 1918 / link-local / ULA addresses and `.local` names. */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local')) return true;
  if (net.isIPv4(host)) return isPrivateIPv4(host);
  if (net.isIPv6(host)) {
    if (host === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return isPrivateIPv4(mapped[1]);
    return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  }
  return false;
}

/** undefined when allowed, else the reason (for a 400 detail). */
export function callbackUrlProblem(url: string, policy: CallbackPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol !== 'http:') return `must use https (got ${parsed.protocol})`;
  if (!policy.allowInsecure) return 'must use https (this VTN does not allow http callbacks)';
  if (!isLocalHost(parsed.hostname))
    return 'may use http only to a loopback or LAN address; use https for other hosts';
  return undefined;
}

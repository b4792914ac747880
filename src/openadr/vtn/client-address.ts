/**
 * The real address of the client behind a request. Directly connected: the socket's peer. Behind
 * a TLS-terminating proxy the VTN is told to trust (`trustProxy`): the address that proxy appended
 * to X-Forwarded-For — the last entry, the only one a client cannot write itself. Anything else in
 * that header is the client's own say and ignored. IPv4-mapped IPv6 addresses read as IPv4.
 */
import type { IncomingMessage } from 'http';
import ipaddr from 'ipaddr.js';

function normalize(text: string): string | undefined {
  const t = text.trim().replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(t)) return undefined;
  return ipaddr.process(t).toString();
}

export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const peer = req.socket?.remoteAddress ?? '';
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const appended = normalize(list[list.length - 1] ?? '');
    if (appended) return appended;
  }
  return normalize(peer) ?? (peer || 'unknown');
}

/**
 * The key a failure is counted under: the address, or for IPv6 its /64 (one host usually holds a
 * whole /64, so counting single IPv6 addresses would let it try 2^64 times).
 */
export function offenderAddress(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const a = ipaddr.process(address);
  if (a.kind() === 'ipv4') return a.toString();
  const parts = (a as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

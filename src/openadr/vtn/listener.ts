/**
 * How the VTN meets the network: HTTPS (TLS 1.2 or later, optional client certificates) or plain
 * HTTP where that is safe — on a loopback address, or behind a TLS-terminating proxy the operator
 * vouches for — and the origin every advertised URL starts with. That origin comes from
 * configuration or from the listener itself, never from a request's Host or X-Forwarded-Host
 * header, which any client can set.
 */
import http from 'http';
import https from 'https';
import net from 'net';
import type { IncomingMessage } from 'http';

export interface VtnTlsOptions {
  /** PEM server certificate (with its intermediates) and private key. */
  cert: string | Buffer;
  key: string | Buffer;
  passphrase?: string;
  /** PEM CA certificate(s): completes the chain and verifies client certificates. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Only clients with a certificate signed by `ca` may connect. Default false. */
  requireClientCert?: boolean;
}

/** TLS 1.0 and 1.1 are refused (the 3.1.0 Definition: "MUST be 1.2 (or later)"). */
export const MIN_TLS_VERSION = 'TLSv1.2';

/** True when only this machine can connect to an address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.') || h.startsWith('::ffff:127.');
}

function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '' || h === '0.0.0.0' || h === '::' || h === '::0';
}

/**
 * `https://vtn.example.com` (a trailing slash allowed) → the origin; anything with a path, query,
 * credentials or another scheme throws. http:// only for a loopback host (a VEN must use HTTPS).
 */
export function parsePublicUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error(`public URL "${raw}" is not a URL (expected an origin such as https://vtn.example.com)`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new Error(`public URL "${raw}" must start with https://`);
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== ''))
    throw new Error(
      `public URL "${raw}" must be an origin only (such as https://vtn.example.com); the VTN appends its base paths`,
    );
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname))
    throw new Error(`public URL "${raw}" must use https:// (VENs must reach a VTN over TLS)`);
  return u.origin;
}

/**
 * Why plain HTTP may not be served on `host`, or undefined when it may: TLS is configured, the
 * address is loopback, or the VTN is behind a TLS-terminating proxy.
 */
export function plainHttpRefusal(host: string, tls: boolean, trustProxy: boolean): string | undefined {
  if (tls || trustProxy || isLoopbackHost(host)) return undefined;
  return (
    `plain HTTP on ${host || 'every address'} is refused: VENs must reach a VTN over HTTPS. ` +
    'Configure TLS (a certificate and key), or bind to 127.0.0.1, or — behind a TLS-terminating ' +
    'proxy — set "behind a TLS-terminating proxy" with the public URL'
  );
}

/** The HTTP or HTTPS server the VTN's handler runs in. */
export function createServer(
  tls: VtnTlsOptions | undefined,
  handler: http.RequestListener,
): http.Server | https.Server {
  if (!tls) return http.createServer(handler);
  if (tls.requireClientCert && !tls.ca)
    throw new Error('client certificates are required but no CA is configured to verify them');
  return https.createServer(
    {
      cert: tls.cert,
      key: tls.key,
      passphrase: tls.passphrase,
      ca: tls.ca,
      minVersion: MIN_TLS_VERSION,
      requestCert: tls.requireClientCert === true,
      rejectUnauthorized: tls.requireClientCert === true,
    },
    handler,
  );
}

/** `[::1]` for IPv6 literals in URLs, the address itself otherwise. */
function urlHost(address: string): string {
  const a = address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return net.isIPv6(a) ? `[${a}]` : a;
}

/**
 * The origin a request's advertised URLs start with: the public URL when configured; else the
 * listener's own scheme, the configured host (a name or an address), and port. On a wildcard
 * bind the address the request's connection actually arrived at is used — an address of this
 * machine, chosen by routing, not by anything the client wrote.
 */
export function advertisedOrigin(
  listener: { publicUrl?: string; tls: boolean; host: string; port: number },
  req: IncomingMessage,
): string {
  if (listener.publicUrl) return listener.publicUrl;
  const scheme = listener.tls ? 'https' : 'http';
  const host = isWildcard(listener.host) ? (req.socket.localAddress ?? '127.0.0.1') : listener.host;
  return `${scheme}://${urlHost(host)}:${listener.port}`;
}

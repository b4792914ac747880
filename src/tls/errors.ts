/**
 * TLS failures said in words an operator can act on. A certificate a client does not trust is
 * not a network hiccup: retrying will not fix it, so callers stop and say why.
 */
import net from 'net';
import tls from 'tls';

/** OpenSSL's and Node's codes for a server certificate the client refused, and what each means. */
const CERTIFICATE_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate issued by a CA that is not trusted here (self-signed root)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate issued by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issued by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issued by an unknown CA',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid (check the clocks)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname mismatch',
  CERT_REVOKED: 'certificate revoked',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  CERT_SIGNATURE_FAILURE: 'certificate signature invalid',
  INVALID_CA: 'invalid CA certificate in the chain',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  INVALID_PURPOSE: 'certificate not meant for a TLS server',
};

/** Handshake failures that are configuration, not chance. */
const HANDSHAKE_REASONS: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server refused our client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust our client certificate (unknown CA)',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server says our client certificate expired',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'no TLS version in common (TLS 1.2 or later is required)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'no TLS version in common (TLS 1.2 or later is required)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port (is it plain http?)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the server does not speak TLS on this port (is it plain http?)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'TLS handshake refused by the server',
  ERR_OSSL_PEM_NO_START_LINE: 'a certificate or key is not PEM text',
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'the client certificate and key do not belong together',
};

export interface TlsProblem {
  code: string;
  /** Short reason: "self-signed certificate", "hostname mismatch", … */
  reason: string;
  /** True when the server's certificate was refused (as opposed to the handshake failing). */
  certificate: boolean;
}

/** The error's code, looking through fetch's `TypeError: fetch failed` wrapper. */
function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** What went wrong with TLS, or undefined when the error is not a TLS failure. */
export function tlsProblem(err: unknown): TlsProblem | undefined {
  const code = codeOf(err);
  if (!code) return undefined;
  if (CERTIFICATE_REASONS[code]) return { code, reason: CERTIFICATE_REASONS[code], certificate: true };
  if (HANDSHAKE_REASONS[code]) return { code, reason: HANDSHAKE_REASONS[code], certificate: false };
  if (/^ERR_SSL_|^ERR_TLS_|^ERR_OSSL_/.test(code))
    return { code, reason: `TLS failure (${code})`, certificate: false };
  return undefined;
}

/**
 * Why a TLS connection to `url` fails, found by trying one handshake and one request with
 * `options`. For failures an HTTP client reports only as "socket closed": a TLS 1.3 server
 * refuses a missing or unknown client certificate after the client's side of the handshake
 * is done, and the alert that says so is lost by the time the client sees the closed socket.
 * Resolves undefined when the exchange works or fails for a non-TLS reason.
 */
export function probeTls(
  url: string,
  options: tls.ConnectionOptions = {},
  timeoutMs = 5000,
): Promise<TlsProblem | undefined> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve(undefined);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'mqtts:' && u.protocol !== 'wss:')
    return Promise.resolve(undefined);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (u.protocol === 'mqtts:' ? 8883 : 443));
  return new Promise((resolve) => {
    let failure: unknown;
    const s = tls.connect({
      ...options,
      host,
      port,
      servername: net.isIP(host) ? undefined : host,
      ALPNProtocols: undefined,
    });
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.once('secureConnect', () => {
      // Something the server must answer or refuse; HTTP servers answer it, brokers close.
      s.write(`HEAD / HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', () => s.destroy());
    s.on('error', (err) => (failure ??= err));
    s.once('close', () => {
      clearTimeout(timer);
      resolve(failure === undefined ? undefined : tlsProblem(failure));
    });
  });
}

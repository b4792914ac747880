/**
 * How client nodes reach their `openadr3-vtn-config` node: one shared VenClient per config
 * node (one token cache, one health record), and a status that follows that health, so every
 * node using the connection says honestly when the VTN is unreachable or refuses credentials.
 */
import type { Node, NodeAPI } from 'node-red';
import type { ClientHealth, VenClient } from '../../src/openadr/client';
import { tlsProblem } from '../../src/tls/errors';
import type { Translate } from './i18n';
import type { StatusReporter } from './status';

/**
 * The connection has no client id/secret yet. That is the normal state of an imported flow
 * (Node-RED never exports credentials), so nodes show it as "waiting for you" (yellow), not as
 * a failure, and drop their messages quietly instead of logging an error for each one.
 */
export class MissingCredentialsError extends Error {
  /** Short text for a node status. */
  readonly statusText: string;
  constructor(message: string, t: Translate, connectionName?: string) {
    super(message);
    this.name = 'MissingCredentialsError';
    this.statusText = connectionName
      ? t('vtn.status.enterCredentialsIn', { connection: connectionName })
      : t('vtn.status.enterCredentials');
  }
}

export function isMissingCredentials(err: unknown): err is MissingCredentialsError {
  // By name too: a second copy of this module (another install of the pack) has its own class.
  return (
    err instanceof MissingCredentialsError ||
    (err instanceof Error &&
      err.name === 'MissingCredentialsError' &&
      typeof (err as MissingCredentialsError).statusText === 'string')
  );
}

/** Show a connection problem found at deploy: yellow for missing credentials, red otherwise. */
export function showSetupProblem(status: StatusReporter, err: unknown): void {
  if (isMissingCredentials(err)) status.waiting(err.statusText);
  else status.error((err as Error).message);
}

/**
 * The shared client for an input message, or undefined when the connection still needs its
 * credentials: then the status says so and the caller drops the message (no error per message).
 */
export function clientOrWait(RED: NodeAPI, id: unknown, status: StatusReporter): VenClient | undefined {
  try {
    return vtnConfig(RED, id).getClient();
  } catch (err) {
    if (!isMissingCredentials(err)) throw err;
    status.waiting(RED._('vtn.status.credentialsMessageDropped'));
    return undefined;
  }
}

export interface VtnConfigNode extends Node {
  /** The shared client, or throws the configuration error (e.g. missing credentials). */
  getClient(): VenClient;
  baseUrl: string;
  /** The connection accepts VTN certificates it cannot verify. */
  tlsUnverified?: boolean;
  /**
   * Why its nodes are never green: it accepts certificates it cannot verify, or it speaks plain
   * HTTP to another machine; undefined when neither.
   */
  tlsWarning?: TlsWarning;
}

export type TlsWarning = 'unverified' | 'plain-http';

/**
 * A node's status while its connection accepts unverified certificates, or speaks plain HTTP to
 * another machine: never green. Every "ok" becomes yellow and starts with the reason ("TLS not
 * verified", "no TLS (plain http)"), so nobody mistakes it for a verified link. The connection
 * is looked up when a status is shown (config nodes start before their users).
 */
export function tlsAwareStatus<S extends StatusReporter>(RED: NodeAPI, id: unknown, status: S): S {
  const warning = (): string | undefined => {
    let kind: TlsWarning | undefined;
    try {
      kind = vtnConfig(RED, id).tlsWarning;
    } catch {
      return undefined;
    }
    if (kind === 'plain-http') return RED._('vtn.status.plainHttp');
    if (kind === 'unverified') return RED._('vtn.status.tlsNotVerified');
    return undefined;
  };
  const ok = status.ok;
  const wrapped = {
    ...status,
    ok: (text: string) => {
      const w = warning();
      if (w) status.waiting(`${w} · ${text}`);
      else ok(text);
    },
  };
  const w = warning();
  if (w) status.waiting(w);
  return wrapped;
}

/** Look up the config node; throws a clear error when none is selected or it does not exist. */
export function vtnConfig(RED: NodeAPI, id: unknown): VtnConfigNode {
  if (typeof id !== 'string' || !id) throw new Error(RED._('vtn.errors.noConnection'));
  const node = RED.nodes.getNode(id) as VtnConfigNode | null;
  if (!node || typeof node.getClient !== 'function')
    throw new Error(RED._('vtn.errors.connectionNotFound', { id }));
  return node;
}

export function hhmm(iso: string | null): string {
  return iso ? `${iso.slice(11, 16)}Z` : '?';
}

/**
 * The reasons a TLS connection fails, by OpenSSL's or Node's code, as catalog keys: the same
 * reasons src/tls/errors.ts gives in English for logs and the core's own messages.
 */
const TLS_REASON_KEYS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'vtn.tlsReason.selfSigned',
  SELF_SIGNED_CERT_IN_CHAIN: 'vtn.tlsReason.untrustedRoot',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'vtn.tlsReason.unknownCa',
  UNABLE_TO_GET_ISSUER_CERT: 'vtn.tlsReason.unknownCa',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'vtn.tlsReason.unknownCa',
  CERT_HAS_EXPIRED: 'vtn.tlsReason.expired',
  CERT_NOT_YET_VALID: 'vtn.tlsReason.notYetValid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'vtn.tlsReason.hostnameMismatch',
  CERT_REVOKED: 'vtn.tlsReason.revoked',
  CERT_UNTRUSTED: 'vtn.tlsReason.untrusted',
  CERT_REJECTED: 'vtn.tlsReason.rejected',
  CERT_SIGNATURE_FAILURE: 'vtn.tlsReason.badSignature',
  INVALID_CA: 'vtn.tlsReason.invalidCa',
  CERT_CHAIN_TOO_LONG: 'vtn.tlsReason.chainTooLong',
  INVALID_PURPOSE: 'vtn.tlsReason.notForServer',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'vtn.tlsReason.clientCertRequired',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'vtn.tlsReason.clientCertRefused',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'vtn.tlsReason.clientCertUnknownCa',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'vtn.tlsReason.clientCertExpired',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'vtn.tlsReason.protocolVersion',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'vtn.tlsReason.protocolVersion',
  ERR_SSL_WRONG_VERSION_NUMBER: 'vtn.tlsReason.notTls',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'vtn.tlsReason.notTls',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'vtn.tlsReason.handshakeRefused',
  ERR_OSSL_PEM_NO_START_LINE: 'vtn.tlsReason.notPem',
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'vtn.tlsReason.keyMismatch',
};

/**
 * A refused TLS connection in the user's language, from its code: "VTN certificate refused:
 * self-signed certificate" when the VTN's certificate was not trusted, "TLS: …" otherwise.
 */
export function tlsFailureText(code: string, t: Translate): string {
  const key = TLS_REASON_KEYS[code];
  const reason = key ? t(key) : t('vtn.tlsReason.other', { code });
  return tlsProblem({ code })?.certificate
    ? t('vtn.status.certificateRefused', { reason })
    : t('vtn.status.tlsFailed', { reason });
}

/**
 * The status text for a request that failed: a TLS refusal in the user's language (the full
 * English message, with the URL and what to change, goes to the log), else the error's message.
 */
export function requestProblemText(err: Error, t: Translate): string {
  const e = err as Error & { kind?: unknown; code?: unknown };
  return e.name === 'OpenAdrError' && e.kind === 'tls' && typeof e.code === 'string'
    ? tlsFailureText(e.code, t)
    : err.message;
}

/** The status a node shows for a connection that is not healthy, or undefined when it is. */
export function healthProblem(health: ClientHealth, t: Translate): string | undefined {
  if (health.state === 'unreachable') return t('vtn.status.unreachableSince', { time: hhmm(health.since) });
  if (health.state === 'auth-failed') return t('vtn.status.authFailed', { error: health.lastError ?? '' });
  // "VTN certificate refused: self-signed certificate": the reason first, it must fit.
  if (health.state === 'tls-failed')
    return health.tlsCode
      ? tlsFailureText(health.tlsCode, t)
      : t('vtn.status.tlsFailed', { reason: health.lastError ?? '' });
  if (health.state === 'error') return t('vtn.status.vtnError', { error: health.lastError ?? '' });
  return undefined;
}

/**
 * Follow the shared client's health: unreachable → yellow, auth failed / bad answers → red.
 * Returns the function that stops following (call it on close).
 */
export function followHealth(
  client: VenClient,
  status: StatusReporter,
  t: Translate,
  onOk?: () => void,
): () => void {
  return client.onHealth((health) => {
    const problem = healthProblem(health, t);
    if (!problem) onOk?.();
    else if (health.state === 'unreachable') status.waiting(problem);
    else status.error(problem);
  });
}

/**
 * A status reporter that remembers its last green text, so a node can go back to it when the
 * shared connection recovers (instead of staying yellow until its next message).
 */
export function rememberOk(status: StatusReporter): StatusReporter & { restore(): void } {
  let lastOk: string | undefined;
  return {
    ...status,
    ok: (text) => {
      lastOk = text;
      status.ok(text);
    },
    restore: () => (lastOk ? status.ok(lastOk) : status.clear()),
  };
}

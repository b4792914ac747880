/**
 * Config node: one OpenADR 3 VTN connection (base URL, API version, OAuth2 client credentials or
 * anonymous). It owns the one VenClient every node using it shares, so they share the token
 * cache and report the same health.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  ApiVersion,
  createVenClient,
  VenClient,
  type VenClientOptions,
  type VenClientTls,
} from '../../src/openadr/client';
import { browseVtns, resolveVtn } from '../../src/openadr/local/browse';
import { localLookup } from '../../src/openadr/local/lookup';
import { isLoopbackHost } from '../../src/openadr/vtn/listener';
import { migrateConfig, type ConfigMigration } from '../shared/config-version';
import { addRoute, httpAdminOf, needsPermission, nodeLog, registerType } from '../shared/red';
import { devCertificate, tlsConfigOptions } from '../shared/tls';
import { MissingCredentialsError, type TlsWarning } from '../shared/vtn';

function hostOf(url: string): string {
  try {
    return new URL(url.trim()).hostname;
  } catch {
    return '';
  }
}

interface VtnConfigDef extends NodeDef {
  baseUrl: string;
  apiVersion: 'auto' | ApiVersion;
  authMode: 'oauth2' | 'anonymous';
  tokenUrl: string;
  scope: string;
  timeoutS: number | string;
  retries: number | string;
  /** A tls-config node: a private CA, a client certificate (since config version 2). */
  tls?: string;
  /** Accept a VTN certificate that cannot be verified (nodes using it stay yellow). */
  allowUnverified?: boolean;
  /** Trust this Node-RED's development CA (a VTN node here serving a development certificate). */
  trustDevCa?: boolean;
  /**
   * url: the base URL as configured; mdns: find the VTN by its service instance name on the LAN
   * before connecting and on every reconnect (the base URL is only where it was last found).
   * Absent in flows saved before it: url.
   */
  discovery?: 'url' | 'mdns';
  instanceName?: string;
  /** Network interface to look on (e.g. eth0); empty = all. */
  mdnsInterface?: string;
  configVersion?: number;
}

/** Version 2 added TLS settings; older connections verify certificates against the well-known CAs. */
const MIGRATIONS: ConfigMigration[] = [
  (c) => ({
    ...c,
    tls: c.tls ?? '',
    allowUnverified: c.allowUnverified ?? false,
    trustDevCa: c.trustDevCa ?? false,
  }),
];

/** How long the editor's "Find VTNs" button listens, ms. */
const BROWSE_MS = 3000;

interface Credentials {
  clientId?: string;
  clientSecret?: string;
}

/** A tls-config's CA and certificate, the development CA, unverified mode: the client's TLS. */
function clientTls(RED: NodeAPI, config: VtnConfigDef): { tls: VenClientTls | undefined; verify: boolean } {
  // Verified against the well-known CAs unless a tls-config gives a private CA; unverified
  // only when asked for here (or the tls-config's "verify server certificate" is unticked).
  const t = tlsConfigOptions(RED, config.tls, 'tls');
  const verify = config.allowUnverified !== true && (t?.verifyServer ?? true);
  // The development CA is trusted in addition to a tls-config's CA, never instead of checking.
  const cas = [t?.ca, config.trustDevCa === true ? devCertificate(RED).ca : undefined].filter(
    (c): c is string | Buffer => c !== undefined && c !== '',
  );
  const tls: VenClientTls | undefined =
    t || !verify || cas.length
      ? {
          ca: cas.length ? cas : undefined,
          cert: t?.cert,
          key: t?.key,
          passphrase: t?.passphrase,
          rejectUnauthorized: verify,
        }
      : undefined;
  return { tls, verify };
}

/** The connection's client options: where the VTN is (URL or mDNS name), auth, timeouts. */
function clientOptions(
  RED: NodeAPI,
  config: VtnConfigDef,
  creds: Credentials,
  tls: VenClientTls | undefined,
): VenClientOptions {
  const timeoutS = Number(config.timeoutS);
  const retries = Number(config.retries);
  const byName = config.discovery === 'mdns';
  const instanceName = String(config.instanceName ?? '').trim();
  if (byName && !instanceName) throw new Error(RED._('openadr3-vtn-config.errors.noInstanceName'));
  const iface = String(config.mdnsInterface ?? '').trim() || undefined;
  const baseUrl = String(config.baseUrl ?? '').trim();
  return {
    baseUrl,
    // By name: where the VTN is announced now, asked before connecting and after it was lost.
    locate: byName
      ? async () => (await resolveVtn(instanceName, { interface: iface, timeoutMs: 3000 })).url
      : undefined,
    // .local host names through mDNS, also where the system has no mDNS resolver.
    lookup:
      byName || /^https?:\/\/[^/]*\.local[:/]/i.test(`${baseUrl}/`)
        ? localLookup({ interface: iface })
        : undefined,
    apiVersion:
      config.apiVersion === '3.0.1' || config.apiVersion === '3.1.0' ? config.apiVersion : undefined,
    auth:
      config.authMode === 'anonymous'
        ? { type: 'anonymous' }
        : {
            type: 'oauth2',
            clientId: creds.clientId ?? '',
            clientSecret: creds.clientSecret ?? '',
            tokenUrl: config.tokenUrl || undefined,
            scope: config.scope || undefined,
          },
    timeoutMs: Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS * 1000 : 10000,
    retries: Number.isInteger(retries) && retries >= 0 ? retries : 3,
    tls,
  };
}

type VtnConfigNodeSelf = Node<Credentials> & {
  getClient(): VenClient;
  baseUrl: string;
  tlsUnverified: boolean;
  tlsWarning: TlsWarning | undefined;
};

/** Why there is no client, as the nodes using the connection should say it. */
function setupProblem(RED: NodeAPI, node: VtnConfigNodeSelf, config: VtnConfigDef, err: unknown): Error {
  const creds = node.credentials ?? {};
  // The connection's name, when it has one, says which of several connections is meant.
  const named = (message: string): string =>
    config.name ? RED._('openadr3-vtn-config.errors.named', { name: config.name, message }) : message;
  // Missing credentials are the normal state of an imported flow (credentials are never
  // exported): a warning that says what to do, not an error; the nodes using it show it too.
  const missingCredentials = config.authMode !== 'anonymous' && (!creds.clientId || !creds.clientSecret);
  if (missingCredentials) {
    const problem = new MissingCredentialsError(
      named(RED._('openadr3-vtn-config.errors.missingCredentials')),
      RED._,
      config.name || undefined,
    );
    node.warn(problem.message);
    return problem;
  }
  const problem = new Error(named((err as Error).message));
  node.error(problem.message);
  return problem;
}

export = function (RED: NodeAPI): void {
  function VtnConfigNode(this: VtnConfigNodeSelf, def: VtnConfigDef) {
    RED.nodes.createNode(this, def);
    const creds = this.credentials ?? {};
    this.baseUrl = def.baseUrl;
    this.tlsUnverified = false;
    this.tlsWarning = undefined;
    let client: VenClient | undefined;
    let problem: Error | undefined;
    let config = def;
    try {
      config = migrateConfig(def, MIGRATIONS, RED._);
      const { tls, verify } = clientTls(RED, config);
      this.tlsUnverified = !verify;
      // OpenADR 3: a VEN MUST use HTTPS. Plain HTTP to another machine still works (some VTNs on a
      // LAN serve nothing else) but is never shown green.
      // Found by name: the VTN is on another machine of the LAN, wherever the last-known URL points.
      const plainRemote =
        /^http:/i.test(config.baseUrl ?? '') &&
        (config.discovery === 'mdns' || !isLoopbackHost(hostOf(config.baseUrl)));
      this.tlsWarning = plainRemote ? 'plain-http' : !verify ? 'unverified' : undefined;
      // Every request (trace) and retry or token fetch (debug) in Node-RED's log at those levels.
      client = createVenClient({ ...clientOptions(RED, config, creds, tls), log: nodeLog(this) });
    } catch (err) {
      problem = setupProblem(RED, this, config, err);
    }
    this.getClient = () => {
      if (!client) throw problem ?? new Error(RED._('openadr3-vtn-config.errors.notConfigured'));
      return client;
    };
    this.on('close', (done: () => void) => {
      // Its own connection pool (a private CA, a client certificate, .local lookup): close kept-alive sockets.
      void (client?.close() ?? Promise.resolve()).then(done, done);
    });
  }
  // The editor's "Find VTNs on this network": browse mDNS for a few seconds (Express 4 route).
  const permission = needsPermission(RED, 'openadr3-vtn-config.read');
  addRoute(httpAdminOf(RED), 'get', '/openadr3-vtn-config/discover', permission, (req, res) => {
    const iface =
      typeof req.query?.interface === 'string' && req.query.interface.trim()
        ? req.query.interface.trim()
        : undefined;
    browseVtns({ durationMs: BROWSE_MS, interface: iface }).then(
      (vtns) =>
        res.json({
          vtns: vtns.map((v) => ({
            name: v.name,
            version: v.version ?? null,
            programNames: v.programNames,
            requiresAuth: v.requiresAuth ?? null,
            url: v.url,
            host: v.host,
            port: v.port,
            addresses: v.addresses,
            openapiUrl: v.openapiUrl ?? null,
          })),
        }),
      (err: Error) => res.json({ vtns: [], error: err.message }),
    );
  });

  registerType(RED, 'openadr3-vtn-config', VtnConfigNode, {
    credentials: { clientId: { type: 'text' }, clientSecret: { type: 'password' } },
  });
};

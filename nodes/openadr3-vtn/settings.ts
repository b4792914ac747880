/**
 * The openadr3-vtn node's settings: its config (migrated by ./migrations.ts from flows saved by
 * older versions), read and checked into what createVtn takes. A setting that cannot work is a Refusal:
 * a short text for the red status and a full message for the log; the VTN then stays off.
 */
import os from 'os';
import path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  DEMO_CLIENTS,
  isLoopbackHost,
  isPostgresUrl,
  parseClients,
  parsePublicUrl,
  usesDemoSecrets,
  type ClientConfig,
  type VtnTlsOptions,
} from '../../src/openadr/vtn';
import { migrateConfig } from '../shared/config-version';
import { devCertificate, tlsConfigOptions, type TlsConfigOptions } from '../shared/tls';
import { narrowedCallbacks, VTN_MIGRATIONS } from './migrations';

export interface VtnNodeDef extends NodeDef {
  port: string | number;
  host: string;
  basePath: string;
  storeType: 'file' | 'memory' | 'postgres';
  storePath: string;
  /** PostgreSQL: how polls check other instances' writes (absent in flows saved before it: strict). */
  pgConsistency?: 'strict' | 'notify';
  tokenLifetime: string | number;
  /** Webhook callbacks may go to private networks (LAN) / this machine (loopback); public always (since config version 3). */
  callbacksLan?: boolean;
  callbacksLoopback?: boolean;
  /** Serve the read-only status page at `/` (absent in flows saved before it: on). */
  statusPage?: boolean;
  cascadeDeletes: boolean;
  blCanDeleteReports: boolean;
  webhookAttempts?: string | number;
  /** MQTT broker for 3.1.0 notifications (e.g. mqtt://127.0.0.1:1883); empty = no MQTT. */
  mqttUrl?: string;
  /** A tls-config node for an mqtts:// broker (its CA, a client certificate); empty = none. */
  mqttTls?: string;
  /** A tls-config node: serve HTTPS with its certificate and key (since config version 2). */
  tls?: string;
  /** Without a tls-config: serve HTTPS with this Node-RED's development certificate. */
  devCert?: boolean;
  /** 'require': only clients with a certificate signed by the tls-config's CA may connect. */
  clientCerts?: 'none' | 'require';
  /** Plain HTTP behind a TLS-terminating proxy that is trusted for X-Forwarded-For/-Proto. */
  behindProxy?: boolean;
  /** The origin VENs reach this VTN at (https://vtn.example.com), for every advertised URL. */
  publicUrl?: string;
  /** Announce on the LAN with mDNS / DNS-SD (absent in older flows: off). */
  announce?: boolean;
  /** Service instance name; empty = the node's name, else "OpenADR VTN on <host>". */
  announceName?: string;
  /** Network interface to announce on (e.g. eth0); empty = every one the VTN listens on. */
  announceInterface?: string;
  /** Program names anyone may read without a token, comma separated; empty = none. */
  anonymousPrograms?: string;
  configVersion?: number;
}

export interface VtnCredentials {
  clients?: string;
  /** postgres://user:password@host:5432/database, a credential because it holds the password. */
  pgUrl?: string;
}

/** A setting that cannot work: red status (short) and an error (full), and the VTN stays off. */
export class Refusal extends Error {
  constructor(
    readonly statusText: string,
    message: string = statusText,
  ) {
    super(message);
  }
}

/** What one VTN node runs with, read from its config and credentials. */
export interface VtnSettings {
  config: VtnNodeDef;
  port: number;
  host: string;
  tokenLifetime: number;
  webhookAttempts: number;
  mqttUrl: string;
  mqttTls: TlsConfigOptions | undefined;
  clients: ClientConfig[];
  tls: VtnTlsOptions | undefined;
  behindProxy: boolean;
  publicUrl: string | undefined;
  /** A PostgreSQL URL, ':memory:' or a SQLite file. */
  storeFile: string;
  pgConsistency: 'strict' | 'notify';
  anonymousPrograms: string[];
  /** What the status says about the store (PostgreSQL, and its poll check when not the default). */
  storeLabel: string;
  /** Demo client secrets on a VTN the network can reach: warned about, shown yellow. */
  demoOnNetwork: boolean;
}

const rethrown = (err: unknown): Refusal => new Refusal((err as Error).message);

/** Reads and checks the node's settings, in the order a user would fix them; throws a Refusal. */
export function readSettings(RED: NodeAPI, node: Node<VtnCredentials>, rawConfig: VtnNodeDef): VtnSettings {
  let config: VtnNodeDef;
  try {
    config = migrateConfig(rawConfig, VTN_MIGRATIONS.steps, RED._);
  } catch (err) {
    throw rethrown(err);
  }
  if (narrowedCallbacks(rawConfig as unknown as Record<string, unknown>, config))
    node.warn(RED._('openadr3-vtn.warnings.callbacksNarrowed'));
  const port = Number(config.port ?? 8080);
  const host = (config.host || '127.0.0.1').trim();
  const tokenLifetime = Number(config.tokenLifetime || 3600);
  const webhookAttempts = Math.max(1, Math.round(Number(config.webhookAttempts || 8)));
  const mqttUrl = (config.mqttUrl ?? '').trim();
  if (mqttUrl && !/^(mqtts?|wss?|tcp|ssl):\/\/[^/]+/.test(mqttUrl))
    throw new Refusal(
      RED._('openadr3-vtn.status.badMqttUrl'),
      RED._('openadr3-vtn.errors.badMqttUrl', { url: mqttUrl }),
    );
  let clients = DEMO_CLIENTS;
  try {
    const text = node.credentials?.clients ?? '';
    if (text.trim()) clients = parseClients(text);
  } catch (err) {
    throw rethrown(err);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Refusal(
      RED._('openadr3-vtn.status.badPort', { port: String(config.port) }),
      RED._('openadr3-vtn.errors.badPort', { port: String(config.port) }),
    );
  const behindProxy = config.behindProxy === true;
  const { tls, mqttTls } = readTls(RED, node, config, host);
  const publicUrl = readPublicUrl(RED, config);
  if (behindProxy && !publicUrl)
    throw new Refusal(
      RED._('openadr3-vtn.status.publicUrlNeeded'),
      RED._('openadr3-vtn.errors.publicUrlNeeded'),
    );
  if (!tls && !behindProxy && !isLoopbackHost(host))
    throw new Refusal(
      RED._('openadr3-vtn.status.plainHttp', { host }),
      RED._('openadr3-vtn.errors.plainHttp', { host }),
    );
  const store = readStore(RED, node, config);
  const anonymousPrograms = String(config.anonymousPrograms ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  // Behind a proxy the VTN is reachable from the network whatever address it binds.
  const demoOnNetwork = usesDemoSecrets(clients) && (behindProxy || !isLoopbackHost(host));
  return {
    config,
    port,
    host,
    tokenLifetime,
    webhookAttempts,
    mqttUrl,
    mqttTls,
    clients,
    tls,
    behindProxy,
    publicUrl,
    ...store,
    anonymousPrograms,
    demoOnNetwork,
  };
}

/** The server's TLS (a tls-config node or this Node-RED's development certificate) and MQTT's. */
function readTls(
  RED: NodeAPI,
  node: Node,
  config: VtnNodeDef,
  host: string,
): { tls: VtnTlsOptions | undefined; mqttTls: TlsConfigOptions | undefined } {
  try {
    let tls: VtnTlsOptions | undefined;
    const t = tlsConfigOptions(RED, config.tls, 'tls');
    if (t) {
      if (!t.cert || !t.key) throw new Error(RED._('openadr3-vtn.errors.noCertificate'));
      const requireClientCert = config.clientCerts === 'require';
      if (requireClientCert && !t.ca) throw new Error(RED._('openadr3-vtn.errors.clientCaNeeded'));
      tls = { cert: t.cert, key: t.key, ca: t.ca, passphrase: t.passphrase, requireClientCert };
    } else if (config.devCert === true) {
      const dev = devCertificate(RED, [host]);
      tls = { cert: dev.cert, key: dev.key, ca: dev.ca };
      if (dev.created !== 'none') node.log(RED._('openadr3-vtn.log.devCertMade', { file: dev.certFile }));
      node.log(RED._('openadr3-vtn.log.devCert', { file: dev.caFile }));
    }
    return { tls, mqttTls: tlsConfigOptions(RED, config.mqttTls, 'mqtt') };
  } catch (err) {
    throw rethrown(err);
  }
}

function readPublicUrl(RED: NodeAPI, config: VtnNodeDef): string | undefined {
  const publicText = (config.publicUrl ?? '').trim();
  try {
    return publicText ? parsePublicUrl(publicText) : undefined;
  } catch {
    throw new Refusal(
      RED._('openadr3-vtn.status.badPublicUrl'),
      RED._('openadr3-vtn.errors.badPublicUrl', { url: publicText }),
    );
  }
}

/** Where the VTN keeps its objects: PostgreSQL (URL from the credentials), memory, or a file. */
function readStore(
  RED: NodeAPI,
  node: Node<VtnCredentials>,
  config: VtnNodeDef,
): Pick<VtnSettings, 'storeFile' | 'pgConsistency' | 'storeLabel'> {
  const userDir = (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
  const pgUrl = node.credentials?.pgUrl?.trim() ?? '';
  if (config.storeType === 'postgres' && !isPostgresUrl(pgUrl))
    throw new Refusal(RED._('openadr3-vtn.status.badPgUrl'), RED._('openadr3-vtn.errors.badPgUrl'));
  const storeFile =
    config.storeType === 'postgres'
      ? pgUrl
      : config.storeType === 'memory'
        ? ':memory:'
        : config.storePath?.trim() || path.join(userDir, 'openadr3-vtn', `${node.id}.db`);
  const pgConsistency = config.pgConsistency === 'notify' ? 'notify' : 'strict';
  // The non-default poll check shows, so nobody wonders why a poll missed a millisecond-old change.
  const storeLabel =
    config.storeType === 'postgres' ? ` · PostgreSQL${pgConsistency === 'notify' ? ' (notify)' : ''}` : '';
  return { storeFile, pgConsistency, storeLabel };
}

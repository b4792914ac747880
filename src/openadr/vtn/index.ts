/**
 * createVtn(options) → { app, listen(port, host), close(), store }: the whole OpenADR 3.0.1 VTN
 * (routes generated from the YAML, auth, store, webhook outbox), usable standalone or in the node.
 */
import crypto from 'crypto';
import http from 'http';
import type { AddressInfo } from 'net';
import express, { type Express } from 'express';
import { loadSpec } from '../spec';
import { DEMO_CLIENTS, TokenAuthority, type ClientConfig } from './auth';
import { apiRouter, PageCache, problemHandler } from './routes';
import { VtnService, type Change } from './service';
import { statusPage } from './status-page';
import { isPostgresUrl, PostgresStore } from './store/postgres';
import { SqliteStore } from './store/sqlite';
import type { StoreHealth, VtnStore } from './store/store';
import { apiRouter31 } from './v31/routes';
import { notificationFormatter31 } from './v31/notify';
import { extensionFields31 } from './v31/convert';
import { MqttNotifier, type MqttOptions } from './notify/mqtt';
import { WebhookNotifier, type DeliveryEvent, type WebhookOptions } from './notify/webhooks';

export const DEFAULT_BASE_PATH = '/openadr3/3.0.1';
export const DEFAULT_BASE_PATH_31 = '/openadr3/3.1.0';
export const DEFAULT_PORT = 8080;

export interface VtnOptions {
  /**
   * A store instance, a PostgreSQL URL (postgres://user@host:5432/db, shared by several VTN
   * processes), a SQLite file path, or ':memory:' (the default).
   */
  store?: VtnStore | string;
  /** Connections per process when `store` is a PostgreSQL URL (default 10). */
  pgPoolSize?: number;
  /**
   * With a PostgreSQL store: how a cached poll page is checked against other instances' writes,
   * 'strict' (a counter read per poll, shared by concurrent polls; the default) or 'notify'
   * (trust LISTEN/NOTIFY: no read per poll, a change another instance committed a few ms ago may
   * be missed; see PostgresStoreOptions.consistency).
   */
  pgConsistency?: 'strict' | 'notify';
  basePath?: string;
  /** Where the 3.1.0 API is served (default /openadr3/3.1.0); false to serve 3.0.1 only. */
  basePath31?: string | false;
  clients?: ClientConfig[];
  tokenLifetimeSeconds?: number;
  /** Allow http:// callbacks to loopback/LAN hosts (https is always allowed). */
  allowInsecureCallbacks?: boolean;
  cascadeDeletes?: boolean;
  blCanDeleteReports?: boolean;
  webhooks?: WebhookOptions;
  /** Publish every change to an MQTT broker on the 3.1.0 topic layout (needs the 3.1.0 API on). */
  mqtt?: MqttOptions;
  bodyLimit?: string;
  /** Serve the status page at `/` (default true). */
  statusPage?: boolean;
  onChange?: (change: Change) => void;
  onDelivery?: (event: DeliveryEvent) => void;
  onError?: (err: Error) => void;
  /**
   * A shared store (PostgreSQL) lost or regained its database. While it is lost, requests that
   * need the database get 503 + Retry-After after a short retry.
   */
  onStoreHealth?: (health: StoreHealth) => void;
}

export interface Vtn {
  app: Express;
  store: VtnStore;
  service: VtnService;
  /** Serialized poll pages (see PageCache): `stats()` tells how many and how much memory. */
  pageCache: PageCache;
  basePath: string;
  /** The 3.1.0 API's base path, or undefined when it is off. */
  basePath31: string | undefined;
  listen(port?: number, host?: string): Promise<{ port: number; host: string; url: string }>;
  close(): Promise<void>;
}

export async function createVtn(options: VtnOptions = {}): Promise<Vtn> {
  const spec = loadSpec('3.0.1');
  const store = await openStore(options);
  const clients = options.clients ?? DEMO_CLIENTS;
  const signingSecret = await store.initSetting(
    'jwt_signing_secret',
    crypto.randomBytes(48).toString('base64url'),
  );
  const auth = new TokenAuthority({
    clients,
    signingSecret,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
  });
  const service = new VtnService(store, spec, {
    cascadeDeletes: options.cascadeDeletes,
    blCanDeleteReports: options.blCanDeleteReports,
    callbackPolicy: { allowInsecure: options.allowInsecureCallbacks ?? false },
    roleOf: (id) => auth.roleOf(id),
  });
  const notifier = new WebhookNotifier(store, options.webhooks, (e) => options.onDelivery?.(e));
  service.on('notify', () => notifier.kick());
  if (options.onChange) service.on('change', options.onChange);
  notifier.start();
  const unwatchHealth = store.onHealth?.((health) => {
    if (health.available) notifier.kick(); // rows that waited for the database
    options.onStoreHealth?.(health);
  });
  // Changes other instances commit to a shared store come out here too (PostgreSQL LISTEN/NOTIFY).
  const watch = store.watchChanges?.(
    (events) => {
      for (const e of events) {
        // Not ours: an origin is only meaningful where it was set (two Node-RED instances running
        // the same flow have nodes with the same id).
        const { origin: _origin, ...change } = e as unknown as Change;
        service.emit('change', { ...change, remote: true });
      }
    },
    () => notifier.kick(),
  ); // their webhooks may be ours to deliver
  await watch?.ready;

  const basePath = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, '') || '';
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('etag', false);
  let boundHost = '127.0.0.1';
  if (options.statusPage !== false)
    app.get(
      '/',
      statusPage(service, clients, () => isLoopback(boundHost)),
    );
  const pageCache = new PageCache(service, auth);
  let mqttNotifier: MqttNotifier | undefined;
  const basePath31 =
    options.basePath31 === false
      ? undefined
      : (options.basePath31 ?? DEFAULT_BASE_PATH_31).replace(/\/+$/, '');
  if (basePath31 !== undefined) {
    const spec31 = loadSpec('3.1.0');
    service.formatNotification = notificationFormatter31;
    service.extensionFields = extensionFields31(spec31);
    if (options.mqtt) {
      mqttNotifier = new MqttNotifier(service, options.mqtt, (err) => options.onError?.(err));
      mqttNotifier.start();
    }
    const m = mqttNotifier;
    // Mounted first: a 3.0.1 API at the root would otherwise answer 404 for 3.1.0 paths.
    app.use(
      basePath31 || '/',
      apiRouter31(spec31, spec, service, auth, {
        bodyLimit: options.bodyLimit,
        notifiers: () => (m ? { MQTT: m.binding() } : {}),
        mqttTopics: m
          ? async (path, params, p) => {
              // Topics of one program or ven are for those who may read it (404 otherwise).
              if (params.programID !== undefined) await service.get('programs', p, params.programID);
              if (params.venID !== undefined) await service.get('vens', p, params.venID);
              return m.topics(path, params);
            }
          : undefined,
      }),
    );
  }
  app.use(basePath || '/', apiRouter(spec, service, auth, { bodyLimit: options.bodyLimit, pageCache }));
  app.use((req, res) => {
    res
      .status(404)
      .type('application/json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: `no such resource: ${req.path}`,
        }),
      );
  });
  app.use(problemHandler((err) => options.onError?.(err)));

  let server: http.Server | undefined;
  const sockets = new Set<import('net').Socket>();
  let closed = false;

  return {
    app,
    store,
    service,
    pageCache,
    basePath,
    basePath31,
    listen(port = DEFAULT_PORT, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        // Repeated polls are answered before Express sees them (same checks, see PageCache).
        const s = http.createServer((req, res) => {
          const served = pageCache.tryServe(req, res);
          if (served === false) app(req, res);
          else if (served !== true) void served.then((hit) => hit || app(req, res));
        });
        s.keepAliveTimeout = 5000;
        s.on('connection', (sock) => {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
        });
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          server = s;
          boundHost = host;
          const a = s.address() as AddressInfo;
          const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve({ port: a.port, host: a.address, url: `http://${shown}:${a.port}${basePath}` });
        });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
          // Do not let a slow client hold the port: end what remains after a short grace.
          setTimeout(() => {
            for (const sock of sockets) sock.destroy();
          }, 1000).unref();
        });
      }
      unwatchHealth?.();
      await watch?.stop();
      await notifier.stop();
      await mqttNotifier?.stop();
      await store.close();
    },
  };
}

async function openStore(options: VtnOptions): Promise<VtnStore> {
  if (typeof options.store === 'object') return options.store;
  const where = options.store ?? ':memory:';
  if (isPostgresUrl(where))
    return PostgresStore.connect(where.trim(), {
      poolSize: options.pgPoolSize,
      consistency: options.pgConsistency,
      onError: (err) => options.onError?.(err),
    });
  return new SqliteStore(where);
}

/** True when the server only accepts connections from this machine. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '::ffff:127.0.0.1';
}

export { SqliteStore } from './store/sqlite';
export { PostgresStore, isPostgresUrl, redactUrl, MIGRATIONS } from './store/postgres';
export { MqttNotifier, DEFAULT_MQTT_PREFIX, type MqttOptions } from './notify/mqtt';
export type { VtnStore, StoredObject, ObjectType, ChangeSet, OutboxEntry, StoreHealth } from './store/store';
export { StoreUnavailable } from './store/store';
export type { Change } from './service';
export { ChangeStats, formatChangeStats, parseChangeStats, type ChangeStatsSnapshot } from './change-stats';
export { DEMO_CLIENTS, parseClients, usesDemoSecrets, type ClientConfig, type Role } from './auth';
export { runFlowOperation, type FlowResult, type FlowOperation } from './flow-ops';

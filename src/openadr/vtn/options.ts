/**
 * What createVtn takes (VtnOptions) and returns (Vtn), and the defaults it fills in.
 */
import type http from 'http';
import type { Express } from 'express';
import type { ClientConfig, ThrottleOptions } from './auth';
import type { CallbackPolicy } from './callback-policy';
import type { QuotaOptions, VtnLimits } from './limits';
import type { VtnTlsOptions } from './listener';
import type { MqttOptions } from './notify/mqtt';
import type { DeliveryEvent, WebhookOptions } from './notify/webhooks';
import type { PageCache } from './routes';
import type { Change, VtnService } from './service';
import type { StoreHealth, VtnStore } from './store/store';

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
  /**
   * Where webhook callbacks may go besides public https destinations: `{ lan: true }` adds private
   * networks, `{ loopback: true }` this machine (each also over plain http). Link-local addresses
   * are never allowed. Default: public destinations only.
   */
  callbacks?: CallbackPolicy;
  cascadeDeletes?: boolean;
  blCanDeleteReports?: boolean;
  webhooks?: WebhookOptions;
  /** Publish every change to an MQTT broker on the 3.1.0 topic layout (needs the 3.1.0 API on). */
  mqtt?: MqttOptions;
  bodyLimit?: string;
  /**
   * Bounds on one request (see DEFAULT_VTN_LIMITS): targets per object, values per target, values
   * per query parameter, intervals per event, JSON nesting. Each refusal is a 400 naming the limit.
   */
  limits?: Partial<VtnLimits>;
  /**
   * Requests per second per client, by role (token buckets; 429 with Retry-After when empty).
   * Default: VEN clients 20/s with bursts of 40, BL clients unlimited, readers of
   * `anonymousPrograms` 5/s with bursts of 20 per client address; false turns one off.
   */
  quota?: QuotaOptions;
  /**
   * Throttling of failed sign-ins (token requests and the status page's Basic sign-in) per
   * offender — a client id from one address: 5 free failures, then a wait of 1 s doubling per
   * further failure up to 15 min, forgotten after an hour of quiet.
   */
  signInThrottle?: ThrottleOptions;
  /**
   * Serve HTTPS (TLS 1.2 or later) with this certificate and key; with `requireClientCert`, only
   * clients holding a certificate signed by `ca`. Without it the VTN speaks plain HTTP, which
   * `listen()` allows only on a loopback address or with `trustProxy`.
   */
  tls?: VtnTlsOptions;
  /**
   * Behind a TLS-terminating proxy it trusts (nginx, a load balancer): plain HTTP is allowed on any
   * address because the proxy speaks TLS to VENs, and the proxy's X-Forwarded-For /
   * X-Forwarded-Proto are believed for one hop. A client's address is then the one that proxy
   * appended to X-Forwarded-For (sign-in throttling, logs), not the proxy's, and the status page
   * treats every visitor as remote. Set `publicUrl` too: the VTN cannot know the name VENs use.
   * Never set it when clients can reach the VTN directly: they could then claim any address.
   */
  trustProxy?: boolean;
  /**
   * The origin VENs reach this VTN at, e.g. https://vtn.example.com. Every URL the VTN advertises
   * (3.1.0 /auth/server tokenURL, links on the status page) starts with it. Default: the
   * listener's own scheme, address and port — never a request's Host header.
   */
  publicUrl?: string;
  /**
   * Serve the status page at `/` (default true): everything on a loopback-only VTN, otherwise only
   * to BL clients signed in with HTTP Basic (anonymous visitors see where the API is).
   */
  statusPage?: boolean;
  /**
   * Programs (by programName) anyone on the network may read without a token, with their
   * untargeted events: anonymous local programs (see anonymous.ts). Writes always need a token.
   */
  anonymousPrograms?: string[];
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
  /** Where each served API version's OpenAPI YAML is (path on this server), e.g. for mDNS. */
  openapiPaths: Partial<Record<'3.0.1' | '3.1.0', string>>;
  /** Programs readable without a token (empty: every request needs one). */
  anonymousPrograms: ReadonlySet<string>;
  /**
   * Listen on `host` (default 127.0.0.1). Rejects when that would be plain HTTP off loopback
   * without `trustProxy` (see VtnOptions.tls). `url` is the 3.0.1 base URL as advertised.
   */
  listen(port?: number, host?: string): Promise<{ port: number; host: string; url: string }>;
  /** The HTTP or HTTPS server once listening (e.g. to watch `tlsClientError`). */
  readonly server: http.Server | undefined;
  close(): Promise<void>;
}

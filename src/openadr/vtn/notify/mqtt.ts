/**
 * MQTT notifications on the OpenADR 3.1.0 topic layout: on every committed change the object (in
 * its 3.1.0 JSON, as REST returns it) goes to the object-type topic, the program topics, and the
 * per-VEN topics of every ven whose owner may read it (with 3.1 target hiding applied).
 * Published at QoS 1 through mqtt.js, which keeps unacknowledged and offline messages and sends
 * them after a reconnect, so a broker restart loses nothing the VTN committed while it runs.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Change, VtnService } from '../service';
import type { ObjectType, StoredObject } from '../store/store';
import { bodyTo31 } from '../v31/convert';
import { OPERATION_31 } from '../v31/notify';
import { grantedTargets } from '../v31/privacy';

export interface MqttOptions {
  /**
   * Broker URL, e.g. mqtt://127.0.0.1:1883. A user and password in it (mqtt://user:pw@host) are
   * used to connect (unless `username`/`password` are given) and never shown to VENs.
   */
  url: string;
  username?: string;
  password?: string;
  /** Topic prefix (default OpenADR/3.1.0). */
  prefix?: string;
  /** The broker URL VENs should use, as GET /notifiers reports it (default `url`). */
  publicUrl?: string;
  /**
   * How VENs authenticate to the broker, as GET /notifiers reports it (3.1.0's
   * mqttNotifierAuthentication…). Default ANONYMOUS: the VTN does not configure the broker, so it
   * only repeats what the broker's operator set up.
   */
  venAuthentication?: Record<string, unknown>;
  reconnectPeriodMs?: number;
  /**
   * For an mqtts:// or wss:// broker: a private CA to verify it, and a client certificate when the
   * broker asks for one. Default: the broker's certificate verified against the well-known CAs.
   */
  tls?: {
    ca?: string | Buffer | Array<string | Buffer>;
    cert?: string | Buffer;
    key?: string | Buffer;
    passphrase?: string;
    rejectUnauthorized?: boolean;
  };
}

export const DEFAULT_MQTT_PREFIX = 'OpenADR/3.1.0';

const PLURAL: Record<ObjectType, string> = {
  PROGRAM: 'programs',
  EVENT: 'events',
  REPORT: 'reports',
  SUBSCRIPTION: 'subscriptions',
  VEN: 'vens',
  RESOURCE: 'resources',
};

type Json = Record<string, unknown>;

export class MqttNotifier {
  readonly prefix: string;
  /** `options.url` without its credentials: what VENs are told by default. */
  private readonly url: string;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  private client: MqttClient | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly listener = (c: Change): void => {
    // Another instance on a shared store committed it and publishes it itself: once per change.
    if (c.remote) return;
    // In commit order: each change's publishes are queued before the next change's.
    this.chain = this.chain.then(() => this.publishChange(c)).catch((err) => this.onError(err as Error));
  };

  constructor(
    private readonly service: VtnService,
    readonly options: MqttOptions,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.prefix = (options.prefix ?? DEFAULT_MQTT_PREFIX).replace(/\/+$/, '');
    const { url, username, password } = splitCredentials(options.url);
    this.url = url;
    this.username = options.username ?? username;
    this.password = options.password ?? password;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  start(): void {
    if (this.client) return;
    this.client = mqtt.connect(this.url, {
      username: this.username,
      password: this.password,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1000,
      connectTimeout: 5000,
      clean: true,
      queueQoSZero: false,
      ...(this.options.tls
        ? {
            ca: this.options.tls.ca,
            cert: this.options.tls.cert,
            key: this.options.tls.key,
            passphrase: this.options.tls.passphrase,
            rejectUnauthorized: this.options.tls.rejectUnauthorized !== false,
          }
        : {}),
    } as mqtt.IClientOptions);
    // mqtt.js reconnects by itself; errors are reported, never thrown.
    this.client.on('error', (err) => this.onError(err));
    this.service.on('change', this.listener);
  }

  async stop(): Promise<void> {
    this.service.off('change', this.listener);
    await this.chain;
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true).catch(() => undefined);
  }

  /** The binding GET /notifiers reports. */
  binding(): Json {
    return {
      URIS: [this.options.publicUrl ?? this.url],
      serialization: 'JSON',
      authentication: this.options.venAuthentication ?? { method: 'ANONYMOUS' },
    };
  }

  /** Topic names for one GET /notifiers/mqtt/topics/... path (YAML path with its parameters). */
  topics(path: string, params: Record<string, string>): Json {
    const rel = path
      .replace(/^\/notifiers\/mqtt\/topics\//, '')
      .replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '');
    const base = `${this.prefix}/${rel}`;
    return {
      topics: {
        CREATE: `${base}/create`,
        UPDATE: `${base}/update`,
        DELETE: `${base}/delete`,
        ALL: `${base}/+`,
      },
    };
  }

  private publish(topic: string, payload: string): Promise<void> {
    const c = this.client;
    if (!c) return Promise.resolve();
    // Not awaited to completion: mqtt.js resolves on PUBACK, which waits out a broker outage.
    c.publish(topic, payload, { qos: 1 }, (err) => {
      if (err) this.onError(err);
    });
    return Promise.resolve();
  }

  private async publishChange(c: Change): Promise<void> {
    const op = OPERATION_31[c.operation].toLowerCase();
    const type = c.objectType;
    const owner = c.owner ?? null;
    const full = bodyTo31(type, c.object, owner);
    const text = JSON.stringify(full);
    const p = this.prefix;
    await this.publish(`${p}/${PLURAL[type]}/${op}`, text);
    if (type === 'PROGRAM') await this.publish(`${p}/programs/${String(c.object.id)}/${op}`, text);
    if (type === 'EVENT')
      await this.publish(`${p}/programs/${String(c.object.programID)}/events/${op}`, text);

    // Per-VEN topics: the ven itself, its resources, and the programs/events its owner may read.
    const stored: StoredObject = {
      type,
      id: String(c.object.id),
      owner,
      name: null,
      scope: type === 'RESOURCE' ? String(c.object.venID) : String(c.object.programID ?? ''),
      ref: '',
      targeted: Array.isArray(c.object.targets) && c.object.targets.length > 0,
      body: c.object,
    };
    if (type === 'VEN') await this.publish(`${p}/vens/${stored.id}/${op}`, text);
    if (type === 'RESOURCE') await this.publish(`${p}/vens/${stored.scope}/resources/${op}`, text);
    if (type !== 'PROGRAM' && type !== 'EVENT') return;
    const vens = await this.service.store.list({ type: 'VEN' });
    for (const ven of vens) {
      if (!ven.owner || !(await this.service.visibleTo(ven.owner, stored))) continue;
      const granted = await grantedTargets(this.service.store, ven.owner);
      const hidden = Array.isArray(full.targets)
        ? { ...full, targets: (full.targets as string[]).filter((t) => granted.has(t)) }
        : full;
      await this.publish(`${p}/vens/${ven.id}/${PLURAL[type]}/${op}`, JSON.stringify(hidden));
    }
  }
}

/** mqtt://user:pw@host:1883 → the URL without them, and them (URL-decoded). */
function splitCredentials(raw: string): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw }; // mqtt.js reports what it cannot connect to
  }
  if (!u.username && !u.password) return { url: raw };
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

/**
 * MQTT push for a VEN (OpenADR 3.1.0 notifiers): ask the VTN which notifiers it offers
 * (`GET /notifiers`), ask for the topic names of the program's events (and of the program itself)
 * under `GET /notifiers/mqtt/topics/...`, connect to the broker the binding names (anonymous, OAuth2
 * bearer token as the password, or client certificate) and subscribe. Every message only says
 * "something changed": the caller re-reads the events over REST, so privacy and target rules stay the
 * VTN's and a lost or reordered message can never leave a wrong timeline behind. After every
 * (re)subscription the caller is told to catch up once, because messages published while the VEN was
 * not subscribed (broker restart, first connect) are not replayed by a clean session.
 */
import crypto from 'crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { tlsProblem } from '../../tls/errors';
import type { VenClient, VenClientTls } from './client';
import { OpenAdrError } from './errors';

export interface MqttNotifierAuthentication {
  method?: string;
  /** OAUTH2_BEARER_TOKEN: the MQTT username; the distinguished string "{clientID}" means ours. */
  username?: string;
  /** CERTIFICATE: PEM strings. */
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface MqttNotifierBinding {
  URIS: string[];
  serialization?: string;
  authentication?: MqttNotifierAuthentication;
}

export interface Notifiers {
  WEBHOOK: boolean;
  MQTT?: MqttNotifierBinding;
}

/**
 * `GET /notifiers`, or undefined when the VTN has no such operation: a 3.0.1 client (the operation
 * is new in 3.1.0, so it is not even asked), a VTN answering 404/405/501, or one that refuses an
 * anonymous client. Network failures and
 * refused credentials throw, so the caller tries again later instead of deciding "no push" for good.
 */
export async function discoverNotifiers(client: VenClient): Promise<Notifiers | undefined> {
  if (client.apiVersion !== '3.1.0') return undefined;
  let body: unknown;
  try {
    body = await client.request('GET', '/notifiers');
  } catch (err) {
    if (err instanceof OpenAdrError && [404, 405, 501].includes(err.status ?? 0)) return undefined;
    // An anonymous client (a public price server) may not be allowed to ask: no push for it.
    if (err instanceof OpenAdrError && err.kind === 'auth' && client.anonymous) return undefined;
    throw err;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error('GET /notifiers: expected a JSON object');
  const b = body as Record<string, unknown>;
  const out: Notifiers = { WEBHOOK: b.WEBHOOK !== false };
  const m = b.MQTT as Record<string, unknown> | undefined;
  if (m !== undefined && m !== null) {
    if (typeof m !== 'object' || !Array.isArray(m.URIS))
      throw new Error('GET /notifiers: MQTT binding has no URIS list');
    out.MQTT = {
      URIS: m.URIS.filter((u): u is string => typeof u === 'string'),
      serialization: typeof m.serialization === 'string' ? m.serialization : undefined,
      authentication:
        typeof m.authentication === 'object' && m.authentication !== null
          ? (m.authentication as MqttNotifierAuthentication)
          : undefined,
    };
  }
  return out;
}

/**
 * The topic filters to subscribe to from one topics endpoint: ALL when the VTN offers it (one
 * subscription), else each operation's topic.
 */
export async function mqttTopicFilters(client: VenClient, path: string): Promise<string[]> {
  const body = (await client.request('GET', path)) as { topics?: Record<string, unknown> } | undefined;
  const topics = body?.topics;
  if (typeof topics !== 'object' || topics === null) throw new Error(`GET ${path}: no topics object`);
  const str = (k: string): string | undefined =>
    typeof topics[k] === 'string' && topics[k] ? (topics[k] as string) : undefined;
  const all = str('ALL');
  if (all) return [all];
  const each = ['CREATE', 'UPDATE', 'DELETE'].map(str).filter((t): t is string => Boolean(t));
  if (!each.length) throw new Error(`GET ${path}: no topic names`);
  return each;
}

const SCHEMES = /^(mqtts?|wss?|tcp|ssl):\/\//i;
const TLS_SCHEMES = /^(mqtts|wss|ssl):\/\//i;

/**
 * The broker URL and mqtt.js options a binding asks for (the token is fetched by the caller).
 * A TLS URI is preferred when the binding lists several ("MQTT clients MUST use MQTT over TLS");
 * it is verified with the VEN connection's TLS settings (`tls`: private CA, unverified mode), and
 * CERTIFICATE authentication presents that connection's client certificate.
 */
export function brokerOptions(
  binding: MqttNotifierBinding,
  ids: { clientID?: string },
  tls?: VenClientTls,
): { url: string; options: IClientOptions; bearer: boolean } {
  const url = binding.URIS.find((u) => TLS_SCHEMES.test(u)) ?? binding.URIS.find((u) => SCHEMES.test(u));
  if (!url)
    throw new Error(`no usable broker URI in ${JSON.stringify(binding.URIS)} (need mqtt, mqtts, ws or wss)`);
  if (binding.serialization !== undefined && binding.serialization !== 'JSON')
    throw new Error(`MQTT serialization ${binding.serialization} is not supported (only JSON)`);
  const a = binding.authentication ?? { method: 'ANONYMOUS' };
  const options: IClientOptions = {};
  if (TLS_SCHEMES.test(url) && tls) {
    if (tls.ca !== undefined) options.ca = tls.ca as IClientOptions['ca'];
    if (tls.cert !== undefined) options.cert = tls.cert as IClientOptions['cert'];
    if (tls.key !== undefined) options.key = tls.key as IClientOptions['key'];
    if (tls.passphrase !== undefined) (options as { passphrase?: string }).passphrase = tls.passphrase;
    options.rejectUnauthorized = tls.rejectUnauthorized !== false;
  }
  let bearer = false;
  switch (a.method ?? 'ANONYMOUS') {
    case 'ANONYMOUS':
      break;
    case 'OAUTH2_BEARER_TOKEN':
      if (!ids.clientID)
        throw new Error('the broker wants an OAuth2 bearer token, but this VEN connects anonymously');
      options.username =
        a.username === undefined || a.username === '{clientID}' ? ids.clientID : String(a.username);
      bearer = true;
      break;
    case 'CERTIFICATE':
      // Our own client certificate (the connection's TLS settings) first: a private key belongs
      // on this machine, not in a VTN's answer. Strings in the binding only when we have none.
      if (tls?.cert && tls.key) {
        options.cert = tls.cert as IClientOptions['cert'];
        options.key = tls.key as IClientOptions['key'];
        break;
      }
      if (!a.clientCert || !a.clientKey)
        throw new Error(
          "the broker wants a client certificate: set one in the VTN connection's TLS configuration",
        );
      options.ca = a.caCert ?? options.ca;
      options.cert = a.clientCert;
      options.key = a.clientKey;
      break;
    default:
      throw new Error(`MQTT authentication method ${String(a.method)} is not supported`);
  }
  return { url, options, bearer };
}

export interface MqttPushState {
  /** Connected and subscribed: notifications will arrive. */
  active: boolean;
  /** Why it is not active (absent when active, or before the first connection attempt ends). */
  error?: string;
}

export interface MqttPushOptions {
  client: VenClient;
  programID: string;
  /**
   * Re-read the events. Called once per burst of messages (debounced) and once after every
   * subscription (catch-up for what was published while not subscribed).
   */
  onChange: (reason: 'message' | 'subscribed') => void;
  /** Connection state changes (not repeated while the state and error stay the same). */
  onState?: (state: MqttPushState) => void;
  /** Quiet time that ends a burst of messages, ms. Default 200. */
  debounceMs?: number;
  /** Longest a burst may delay the refresh, ms. Default 1000. */
  maxDelayMs?: number;
  /** Wait between reconnection attempts, ms. Default 5000. */
  reconnectPeriodMs?: number;
  /** Test seam (default mqtt.connect). */
  connect?: (url: string, options: IClientOptions) => MqttClient;
}

export interface MqttPush {
  readonly url: string;
  readonly topics: readonly string[];
  state(): MqttPushState;
  close(): Promise<void>;
}

/** The MQTT topics of a program's events, and of the program itself when the VTN offers them. */
async function programTopics(client: VenClient, programID: string): Promise<string[]> {
  const id = encodeURIComponent(programID);
  const topics = await mqttTopicFilters(client, `/notifiers/mqtt/topics/programs/${id}/events`);
  try {
    // The program's own changes (e.g. its payload descriptors' currency) change the timeline too.
    topics.push(...(await mqttTopicFilters(client, `/notifiers/mqtt/topics/programs/${id}`)));
  } catch (err) {
    // Optional: a VTN may not offer per-program topics to VENs. The events are what matter.
    if (!(err instanceof OpenAdrError) || err.retryable) throw err;
  }
  return topics;
}

/** A broker connection failure in words: a refused certificate (self-signed, hostname mismatch…), not OpenSSL's code. */
function brokerError(url: string, err: Error): string {
  const tp = tlsProblem(err);
  const why = tp
    ? tp.certificate
      ? `broker certificate refused: ${tp.reason}`
      : `TLS: ${tp.reason}`
    : err.message;
  return `broker ${url}: ${why}`;
}

/**
 * Discover and start MQTT push for one program. Resolves undefined when the VTN offers no MQTT
 * notifier (3.0.1, no `/notifiers`, or no MQTT binding); throws when discovery fails or the binding
 * cannot be used. Resolves as soon as the client is created: connecting and subscribing go on in the
 * background (mqtt.js reconnects on its own), reported through `onState`.
 */
export async function startMqttPush(options: MqttPushOptions): Promise<MqttPush | undefined> {
  const { client, programID } = options;
  const notifiers = await discoverNotifiers(client);
  if (!notifiers?.MQTT) return undefined;
  const {
    url,
    options: auth,
    bearer,
  } = brokerOptions(notifiers.MQTT, { clientID: client.clientId }, client.tls);
  const topics = await programTopics(client, programID);
  const password = bearer ? await client.getToken() : undefined;

  const debounceMs = options.debounceMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 1000;
  const connect = options.connect ?? mqtt.connect;
  let state: MqttPushState = { active: false };
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let burstStart = 0;

  const setState = (next: MqttPushState): void => {
    if (closed || (next.active === state.active && next.error === state.error)) return;
    state = next;
    options.onState?.(state);
  };
  const fire = (reason: 'message' | 'subscribed'): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!closed) options.onChange(reason);
  };
  const onMessage = (_topic: string, payload: Buffer): void => {
    // Topics are per program, but a VTN may publish more there: ignore other programs' events.
    try {
      const body = JSON.parse(payload.toString()) as { programID?: unknown; objectType?: string };
      if (
        body?.objectType === 'EVENT' &&
        body.programID !== undefined &&
        String(body.programID) !== programID
      )
        return;
    } catch {
      // Not JSON: still a sign that something changed.
    }
    const now = Date.now();
    if (!timer) burstStart = now;
    else clearTimeout(timer);
    const wait = Math.max(0, Math.min(debounceMs, burstStart + maxDelayMs - now));
    timer = setTimeout(() => fire('message'), wait);
  };

  const mq = connect(url, {
    ...auth,
    password,
    clientId: `openadr3-ven-${crypto.randomBytes(6).toString('hex')}`,
    clean: true,
    // We subscribe on every 'connect' ourselves, so we know when the catch-up poll may run.
    resubscribe: false,
    reconnectPeriod: options.reconnectPeriodMs ?? 5000,
    connectTimeout: 10000,
    queueQoSZero: false,
  });
  mq.on('message', onMessage);
  let connectedOnce = false;
  const lost = (): string => `broker ${url}: ${connectedOnce ? 'connection lost' : 'no connection'}`;
  mq.on('connect', () => {
    connectedOnce = true;
    mq.subscribe(Object.fromEntries(topics.map((t) => [t, { qos: 1 as const }])), (err, granted) => {
      if (closed) return;
      const refused = granted?.find((g) => g.qos === 128);
      if (err || refused) {
        setState({ active: false, error: `subscribe refused: ${err?.message ?? refused?.topic}` });
        return;
      }
      setState({ active: true });
      fire('subscribed');
    });
  });
  mq.on('error', (err) => setState({ active: false, error: brokerError(url, err) }));
  mq.on('close', () => {
    setState({ active: false, error: state.error ?? lost() });
    if (bearer && !closed) {
      // The token may expire while we are away: the next CONNECT (reconnectPeriod later) reads the
      // password from the options, so refresh it now.
      client.getToken().then(
        (token) => {
          mq.options.password = token;
        },
        () => undefined,
      );
    }
  });
  // mqtt.js may say 'offline' before 'close': either way an active connection is lost.
  mq.on('offline', () => setState({ active: false, error: state.error ?? lost() }));

  return {
    url,
    topics,
    state: () => ({ ...state }),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await mq.endAsync(true).catch(() => undefined);
    },
  };
}

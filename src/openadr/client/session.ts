/**
 * A VEN session: polls a program's prices on a timer and, optionally, takes push notifications
 * (MQTT on a 3.1.0 VTN that offers it, or a webhook subscription) that only make it poll at once.
 * Push is never trusted alone: while MQTT is up a slower safety poll stays on, and when push
 * cannot be set up, or its connection drops, the session polls at the normal interval.
 *
 * Push states (`pushState`):
 * - 'off'       push not wanted (mode none), or not possible (no client);
 * - 'pending'   push wanted, not set up yet (waits for a good poll: it needs the program id),
 *               or MQTT connecting for the first time;
 * - 'mqtt'      subscribed to the program's MQTT topics, connection up (safety poll period);
 * - 'mqtt-down' subscribed over MQTT, connection lost (normal poll period until it is back);
 * - 'webhook'   the VTN has a subscription calling this session's callback URL;
 * - 'polling'   push wanted but not available (no MQTT notifier, webhook refused): polls only;
 * - 'closed'    closed: no timer, no push, results ignored.
 */
import { OpenAdrError } from './errors';
import type { PollResult, PricePoller } from './poller';
import { startMqttPush, type MqttPush, type MqttPushOptions, type MqttPushState } from './push-mqtt';
import { ensureEventSubscription, registerVen } from './subscribe';
import type { VenClient } from './client';
import { noLog, type LogHook } from '../../net/log';

export const PUSH_MODES = ['none', 'webhook', 'mqtt', 'auto'] as const;
export type PushMode = (typeof PUSH_MODES)[number];

export type PushState = 'off' | 'pending' | 'mqtt' | 'mqtt-down' | 'webhook' | 'polling' | 'closed';

export type { LogHook, LogLevel } from '../../net/log';

/** Why push is not working, for the user (once per distinct problem). */
export type PushProblem =
  | { kind: 'webhookNotSetUp'; error: string }
  | { kind: 'noMqtt' }
  | { kind: 'mqttNotSetUp'; error: string; retry: boolean }
  | { kind: 'mqttDown'; error: string; seconds: number };

export interface WebhookSettings {
  /** A callback base was given (auto mode then falls back to a webhook when there is no MQTT). */
  configured: boolean;
  /** The callback URL the VTN is to call; undefined when the callback base is not usable. */
  callbackUrl: string | undefined;
  /** Why there is no callback URL (told as the webhook's problem). */
  callbackProblem?: string;
  /** The subscription's client name (and VEN name when `registerVen`). */
  venName: string;
  /** Register the VEN (and its resource) before subscribing. */
  registerVen: boolean;
  resourceName?: string;
  /** What the VTN sends as bearer token with each callback. */
  bearerToken: string;
}

/** How a poll was asked for. */
export interface PollRequest {
  /** Send the timeline even when unchanged (an input message). */
  force: boolean;
  /** Wait for a poll in progress and poll anew (a message or a push notification). */
  fresh: boolean;
  /** The message that asked, if one did. */
  trigger?: unknown;
}

export interface VenSessionOptions {
  client: VenClient;
  poller: PricePoller;
  pushMode: PushMode;
  pollMs: number;
  /** Poll period while MQTT push is up (at least pollMs). */
  safetyMs: number;
  webhook?: WebhookSettings;
  /** A good poll, after push was set up from it. */
  onResult: (result: PollResult, request: PollRequest) => void;
  /** A failed poll: return true when handled (the poll resolves undefined), false to throw it. */
  onError: (err: unknown, request: PollRequest) => boolean;
  onProblem?: (problem: PushProblem) => void;
  /** The push state changed (e.g. MQTT went down or came back). */
  onPushState?: (state: PushState) => void;
  log?: LogHook;
  /** Test seam. */
  startMqttPush?: (options: MqttPushOptions) => Promise<MqttPush | undefined>;
}

export class VenSession {
  private state: PushState;
  private running: Promise<PollResult | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private mqtt: MqttPush | undefined;
  private mqttProgramID: string | undefined;
  /** Discovery found no MQTT notifier (3.0.1, no /notifiers, no broker): do not ask again. */
  private noMqtt = false;
  /** An MQTT outage was told (once per outage). */
  private mqttOutage = false;
  private subscriptionID: string | undefined;
  private lastProblem = '';
  private readonly log: LogHook;

  constructor(private readonly o: VenSessionOptions) {
    this.state = o.pushMode === 'none' ? 'off' : 'pending';
    this.log = o.log ?? noLog;
  }

  get pushState(): PushState {
    return this.state;
  }

  /** The id of the webhook subscription on the VTN, once there is one. */
  get subscription(): string | undefined {
    return this.subscriptionID;
  }

  /** Whether the VTN is to call the webhook route (the node serves it). */
  get wantsWebhookRoute(): boolean {
    const { pushMode, webhook } = this.o;
    return pushMode === 'webhook' || (pushMode === 'auto' && webhook?.configured === true);
  }

  /** The poll period now: the safety poll while MQTT is up, else the poll interval. */
  get periodMs(): number {
    return this.state === 'mqtt' ? this.o.safetyMs : this.o.pollMs;
  }

  /** Start polling (the first poll at once). */
  start(): void {
    this.log('debug', `session: starting, push ${this.o.pushMode}, poll every ${this.o.pollMs / 1000} s`);
    this.arm(0);
  }

  /** A push notification: poll now (after a poll in progress, which may predate the change). */
  notify(): Promise<void> {
    this.log('debug', 'session: notified of a change, polling now');
    return this.poll({ force: false, fresh: true }).then(
      () => undefined,
      () => undefined, // shown by onError; polling retries
    );
  }

  /**
   * Poll once (single flight). A timer tick joins the poll in progress; a fresh request waits for
   * it and polls anew, so it gets an answer from a poll that started after it arrived.
   */
  async poll(request: PollRequest): Promise<PollResult | undefined> {
    for (let inProgress = this.running; inProgress; inProgress = this.running) {
      if (!request.fresh) return inProgress;
      await inProgress.catch(() => undefined);
    }
    this.running = this.pollOnce(request).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pollOnce(request: PollRequest): Promise<PollResult | undefined> {
    this.log('trace', `session: polling (${request.force ? 'asked' : 'timer or push'})`);
    try {
      const result = await this.o.poller.poll();
      if (this.state === 'closed') return result;
      await this.setUpPush(result);
      this.log(
        'debug',
        `session: poll ok, ${result.events.length} events, timeline ${result.timelineChanged ? 'changed' : 'unchanged'}`,
      );
      this.o.onResult(result, request);
      return result;
    } catch (err) {
      if (this.state === 'closed') return undefined;
      this.log('debug', `session: poll failed: ${(err as Error).message}`);
      if (this.o.onError(err, request)) return undefined;
      throw err;
    }
  }

  /** One timer, re-armed after each tick with the period of the moment. */
  private arm(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.state === 'closed') return;
    // setTimeout fires at once for delays beyond 2^31-1 ms (about 24.8 days).
    this.timer = setTimeout(
      () => {
        this.poll({ force: false, fresh: false }).catch(() => undefined);
        this.arm(this.periodMs);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  private setState(next: PushState): void {
    if (next === this.state || this.state === 'closed') return;
    this.log('debug', `session: push ${this.state} → ${next}`);
    this.state = next;
    this.o.onPushState?.(next);
  }

  private problem(p: PushProblem): void {
    const key = JSON.stringify(p);
    if (key === this.lastProblem) return;
    this.lastProblem = key;
    this.o.onProblem?.(p);
  }

  /** After a good poll (the program id is known): MQTT, else a webhook, once. */
  private async setUpPush(result: PollResult): Promise<void> {
    const { pushMode } = this.o;
    if (pushMode === 'none' || result.program?.id === undefined) return;
    const programID = String(result.program.id);
    if (this.mqtt && this.mqttProgramID !== programID) {
      // The program was replaced (same name, new id): its topics are other topics.
      const old = this.mqtt;
      this.mqtt = undefined;
      await old.close();
    }
    if ((pushMode === 'mqtt' || pushMode === 'auto') && !this.mqtt && !this.noMqtt) {
      await this.setUpMqtt(programID);
      if (this.mqtt || !this.noMqtt) return;
    }
    const wantWebhook =
      pushMode === 'webhook' ||
      (pushMode === 'auto' && this.noMqtt && this.o.webhook?.callbackUrl !== undefined);
    if (!wantWebhook) {
      if (!this.mqtt) this.setState('polling');
      return;
    }
    if (!this.subscriptionID) await this.subscribe(programID);
  }

  private async subscribe(programID: string): Promise<void> {
    const hook = this.o.webhook;
    try {
      if (!hook?.callbackUrl) throw new Error(hook?.callbackProblem ?? 'no callback URL');
      if (hook.registerVen)
        await registerVen(this.o.client, { venName: hook.venName, resourceName: hook.resourceName });
      const sub = await ensureEventSubscription(this.o.client, {
        clientName: hook.venName,
        programID,
        callbackUrl: hook.callbackUrl,
        bearerToken: hook.bearerToken,
      });
      this.subscriptionID = sub.id === undefined ? undefined : String(sub.id);
      this.lastProblem = '';
      this.setState('webhook');
    } catch (err) {
      // Push is optional: say why once, keep polling, try again after the next good poll.
      this.problem({ kind: 'webhookNotSetUp', error: (err as Error).message });
      this.setState('polling');
    }
  }

  /** Discover the VTN's MQTT notifier and subscribe to the program's event topics. */
  private async setUpMqtt(programID: string): Promise<void> {
    const start = this.o.startMqttPush ?? startMqttPush;
    try {
      const p = await start({
        client: this.o.client,
        programID,
        onChange: () => void this.notify(),
        onState: (s) => this.followMqtt(s),
      });
      if (this.state === 'closed') {
        await p?.close();
        return;
      }
      if (p) {
        // Connecting goes on in the background; onState tells when it is up ('mqtt').
        this.mqtt = p;
        this.mqttProgramID = programID;
      } else {
        this.noMqtt = true;
        if (this.o.pushMode === 'mqtt') this.problem({ kind: 'noMqtt' });
      }
    } catch (err) {
      // A VTN that could not be reached is asked again after the next good poll; a refusal or a
      // binding this session cannot use (4xx, unsupported authentication) will not change, so
      // MQTT is given up (auto: webhook).
      const retry = err instanceof OpenAdrError && err.retryable;
      this.problem({ kind: 'mqttNotSetUp', error: (err as Error).message, retry });
      if (!retry) this.noMqtt = true;
    }
  }

  private followMqtt(s: MqttPushState): void {
    if (this.state === 'closed') return;
    // Once per outage: the reason may change while mqtt.js retries (lost → refused → …).
    if (s.active) this.mqttOutage = false;
    else if (s.error && !this.mqttOutage) {
      this.mqttOutage = true;
      this.o.onProblem?.({ kind: 'mqttDown', error: s.error, seconds: this.o.pollMs / 1000 });
    }
    this.setState(s.active ? 'mqtt' : 'mqtt-down');
    this.arm(this.periodMs);
  }

  /** Stop: no timer, MQTT closed, the webhook subscription dropped (best effort, ≤ 3 s). */
  async close(): Promise<void> {
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const sub = this.subscriptionID;
    const endMqtt = this.mqtt?.close() ?? Promise.resolve();
    this.mqtt = undefined;
    // Drop the subscription so the VTN stops calling a gone endpoint.
    const dropSub = sub ? this.o.client.deleteSubscription(sub).catch(() => undefined) : Promise.resolve();
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([endMqtt, dropSub]).catch(() => undefined),
      new Promise((r) => (giveUp = setTimeout(r, 3000))),
    ]);
    clearTimeout(giveUp);
  }
}

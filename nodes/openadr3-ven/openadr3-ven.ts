/**
 * openadr3-ven: polls a VTN for a program's events and turns them into a price timeline.
 * Output 1: the events, when any was added, changed or removed. Output 2: the price timeline
 * (`msg.payload` = [{start, end, price, currency, units, eventID, intervalID}], plus
 * `msg.currentPrice`, `msg.nextChange`), when it changes and on every input message.
 * When the VTN is unreachable the last good timeline is kept (recomputed for "now") and the
 * status says since when. Optional push (webhook, or MQTT on a 3.1.0 VTN that offers it) only makes
 * it poll at once; a slower safety poll stays on.
 */
import crypto from 'crypto';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  createPricePoller,
  OpenAdrError,
  PollResult,
  PriceTimeline,
  ProgramNotFoundError,
  PUSH_MODES,
  VenClient,
  VenSession,
  type PollRequest,
  type PushMode,
  type PushProblem,
  type WebhookSettings,
} from '../../src/openadr/client';
import { processClock } from '../../src/time/clock';
import { serveConfigMigrations } from '../shared/config-migration-editor';
import { migrateConfig } from '../shared/config-version';
import { guardTask, handleInput, Send, sendSafely } from '../shared/input';
import type { Translate } from '../shared/i18n';
import { addRoute, asMessage, httpNodeOf, nodeLog, registerType, settingsOf } from '../shared/red';
import { statusFor, type StatusReporter } from '../shared/status';
import { VEN_MIGRATIONS } from './migrations';
import {
  followHealth,
  hhmm,
  isMissingCredentials,
  requestProblemText,
  showSetupProblem,
  tlsAwareStatus,
  vtnConfig,
} from '../shared/vtn';

interface VenDef extends NodeDef {
  vtn: string;
  programName: string;
  programID: string;
  pollIntervalS: number | string;
  payloadType: string;
  /**
   * none | webhook | mqtt | auto (MQTT when the VTN offers it, else a webhook when a callback base
   * URL is set, else polling only). Config version 1 had a `webhook` checkbox instead.
   */
  push?: string;
  /** Poll interval while MQTT push is up (s); empty = 10 × the poll interval. */
  safetyPollS?: number | string;
  /** Version 1 only (migrated to `push`). */
  webhook?: boolean | string;
  /** How the VTN reaches this Node-RED, e.g. http://192.168.1.20:1880. */
  callbackBase?: string;
  venName?: string;
  resourceName?: string;
  configVersion?: number;
}

function formatPrice(t: PriceTimeline, translate: Translate): string {
  if (t.current) {
    const unit = [t.current.currency, t.current.units].filter(Boolean).join('/');
    return `${t.current.price}${unit ? ` ${unit}` : ''}`;
  }
  return translate('openadr3-ven.status.noPrice');
}

/** The node's settings from its config (migrated), or the reason it cannot run. */
interface VenSettings {
  config: VenDef;
  pollMs: number;
  safetyMs: number;
  pushMode: PushMode;
  setupError?: Error;
}

function readSettings(def: VenDef, t: Translate): VenSettings {
  let setupError: Error | undefined;
  let config = def;
  try {
    config = migrateConfig(def, VEN_MIGRATIONS.steps, t);
  } catch (err) {
    setupError = err as Error;
  }
  const intervalS = Number(config.pollIntervalS);
  const pollMs = (Number.isFinite(intervalS) && intervalS >= 1 ? intervalS : 60) * 1000;
  const safetyText = String(config.safetyPollS ?? '').trim();
  const safetyS = Number(safetyText);
  // Never slower polling without push than with it: the safety poll is at least the poll interval.
  const safetyMs = Math.max(
    pollMs,
    safetyText !== '' && Number.isFinite(safetyS) && safetyS >= 1 ? safetyS * 1000 : pollMs * 10,
  );
  const pushMode = (config.push ?? 'none') as PushMode;
  if (!setupError && !PUSH_MODES.includes(pushMode))
    setupError = new Error(
      t('openadr3-ven.errors.pushMode', { modes: PUSH_MODES.join(', '), value: JSON.stringify(config.push) }),
    );
  return { config, pollMs, safetyMs, pushMode, setupError };
}

/** What the VTN is to call for webhook push, and with which token. */
function webhookSettings(RED: NodeAPI, node: Node, config: VenDef, hookPath: string): WebhookSettings {
  const base = String(config.callbackBase ?? '').trim();
  const root = String(settingsOf(RED).httpNodeRoot || '/').replace(/\/+$/, '');
  const venName = config.venName?.trim() || `node-red-${node.id}`;
  const usable = /^https?:\/\//i.test(base);
  return {
    configured: base !== '',
    callbackUrl: usable ? `${base.replace(/\/+$/, '')}${root}${hookPath}` : undefined,
    callbackProblem: usable ? undefined : RED._('openadr3-ven.errors.callbackBase'),
    venName,
    registerVen: Boolean(config.venName?.trim()),
    resourceName: config.resourceName?.trim() || undefined,
    bearerToken: crypto.randomBytes(18).toString('hex'),
  };
}

function problemText(p: PushProblem, t: Translate): string {
  switch (p.kind) {
    case 'webhookNotSetUp':
      return t('openadr3-ven.warnings.webhookNotSetUp', { error: p.error });
    case 'noMqtt':
      return t('openadr3-ven.warnings.noMqtt');
    case 'mqttNotSetUp':
      return t(p.retry ? 'openadr3-ven.warnings.mqttNotSetUpRetry' : 'openadr3-ven.warnings.mqttNotSetUp', {
        error: p.error,
      });
    case 'mqttDown':
      return t('openadr3-ven.warnings.mqttDown', { seconds: p.seconds, error: p.error });
  }
}

/** What a poll sends, and to where: an input message's `send`, or the node's. */
interface Trigger {
  send: Send;
  msg?: NodeMessageInFlow;
}

const timelineMsg = (
  config: VenDef,
  timeline: PriceTimeline,
  result: PollResult | undefined,
  extra: Record<string, unknown> = {},
) => ({
  topic: result?.program?.programName ?? config.programName ?? '',
  payload: timeline.intervals,
  currentPrice: timeline.currentPrice,
  current: timeline.current,
  nextChange: timeline.nextChange,
  warnings: timeline.warnings,
  program: result?.program ?? null,
  polledAt: result?.polledAt,
  ...extra,
});

/** The node's side of a session: messages out, status, and one log line per distinct problem. */
class VenView {
  private lastLogged = '';
  private warned = new Set<string>();
  session: VenSession | undefined;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node,
    private readonly config: VenDef,
    private readonly status: StatusReporter,
  ) {}

  showOk(result: PollResult): void {
    const t = result.timeline;
    const _ = this.RED._;
    const parts = [formatPrice(t, _), _('openadr3-ven.status.slots', { count: t.intervals.length })];
    if (t.nextChange) parts.push(_('openadr3-ven.status.next', { time: hhmm(t.nextChange) }));
    const push = this.session?.pushState;
    if (push === 'mqtt') parts.push(_('openadr3-ven.status.pushMqtt'));
    else if (this.session?.subscription) parts.push(_('openadr3-ven.status.pushWebhook'));
    if (t.warnings.length) parts.push(_('openadr3-ven.status.warnings', { count: t.warnings.length }));
    this.status.ok(parts.join(' · '));
  }

  onResult(result: PollResult, request: PollRequest): void {
    const { node } = this;
    const trigger = request.trigger as Trigger | undefined;
    this.lastLogged = '';
    // Log each timeline warning once, not on every poll while the same event is on the VTN.
    for (const w of result.timeline.warnings) if (!this.warned.has(w)) node.warn(w);
    this.warned = new Set(result.timeline.warnings);
    const out1 = result.eventsChanged
      ? {
          topic: result.program?.programName ?? '',
          payload: result.events,
          changes: result.changes,
          program: result.program,
        }
      : null;
    const out2 =
      result.timelineChanged || request.force
        ? timelineMsg(
            this.config,
            result.timeline,
            result,
            trigger?.msg ? { _msgid: trigger.msg._msgid } : {},
          )
        : null;
    const send = trigger?.send ?? ((msg) => sendSafely(node, msg, this.RED._));
    if (out1 || out2) send([out1 as NodeMessageInFlow | null, out2 as NodeMessageInFlow | null]);
    this.showOk(result);
  }

  /** True: handled (kept the last timeline, or waiting for the program); false: the poll fails. */
  onError(err: unknown, request: PollRequest, client: VenClient): boolean {
    const { RED, node, status } = this;
    const e = err as Error;
    const trigger = request.trigger as Trigger | undefined;
    const last = this.session && this.pollerLastGood();
    // A program that is not there yet (its publisher is starting up) is a wait, not a failure,
    // for scheduled polls; a poll asked for by a message still reports it to the flow.
    if (e instanceof ProgramNotFoundError && !trigger?.msg && !last) {
      this.logOnce(e.message, () => node.warn(RED._('openadr3-ven.warnings.waiting', { error: e.message })));
      const program = this.config.programName?.trim() || this.config.programID?.trim() || '';
      status.waiting(RED._('openadr3-ven.status.waitingForProgram', { program }));
      return true;
    }
    const reachability = err instanceof OpenAdrError && err.retryable;
    // An unreachable VTN is retried (yellow status): a warning, like the status. It is also what
    // an offline machine sees from a public server, e.g. in an imported example.
    this.logOnce(e.message, () =>
      reachability
        ? node.warn(RED._('openadr3-ven.warnings.pollRetrying', { error: e.message }))
        : node.error(RED._('openadr3-ven.errors.pollFailed', { error: e.message })),
    );
    const since = client.health().since ?? null;
    const stale = this.stale();
    if (stale && last) {
      const text = reachability
        ? RED._('openadr3-ven.status.unreachableKept', { time: hhmm(since) })
        : RED._('openadr3-ven.status.failedKept', { error: requestProblemText(e, RED._) });
      if (reachability) status.waiting(text);
      else status.error(text);
      if (request.force && trigger)
        trigger.send([
          null,
          asMessage(timelineMsg(this.config, stale, last, { stale: true, error: e.message })),
        ]);
      return true;
    }
    if (reachability) status.waiting(RED._('openadr3-ven.status.unreachableRetrying', { time: hhmm(since) }));
    else status.error(requestProblemText(e, RED._));
    return false;
  }

  pollerLastGood: () => PollResult | undefined = () => undefined;
  stale: () => PriceTimeline | undefined = () => undefined;

  private logOnce(message: string, log: () => void): void {
    if (message === this.lastLogged) return;
    this.lastLogged = message;
    log();
  }
}

/** The node's session: poller, push, timer, from the node's settings. */
function startSession(
  RED: NodeAPI,
  node: Node,
  settings: VenSettings,
  view: VenView,
  client: VenClient,
  webhook: WebhookSettings,
): VenSession {
  const { config } = settings;
  const poller = createPricePoller({
    client,
    programName: config.programName?.trim() || undefined,
    programID: config.programID?.trim() || undefined,
    payloadType: config.payloadType?.trim() || 'PRICE',
    // "Now" for the timeline is the process clock; the poll period stays real (network timing).
    now: processClock().now,
  });
  view.pollerLastGood = () => poller.lastGood();
  view.stale = () => poller.timelineFromLastGood();
  const session = new VenSession({
    client,
    poller,
    pushMode: settings.pushMode,
    pollMs: settings.pollMs,
    safetyMs: settings.safetyMs,
    webhook,
    onResult: (result, request) => view.onResult(result, request),
    onError: (err, request) => view.onError(err, request, client),
    onProblem: (p) => node.warn(problemText(p, RED._)),
    onPushState: () =>
      guardTask(node, () => {
        const last = poller.lastGood();
        if (last && client.health().state === 'ok') view.showOk(last);
      }),
    log: nodeLog(node),
  });
  view.session = session;
  return session;
}

/** The webhook route: any change the VTN announces means "poll now". */
function serveWebhook(RED: NodeAPI, node: Node, session: VenSession, hookPath: string, token: string) {
  return addRoute(httpNodeOf(RED), 'post', hookPath, (req, res) => {
    req.resume?.(); // the body is not needed: any change means "poll now"
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.status(401).json({ title: 'Unauthorized', detail: 'wrong or missing bearer token' });
      return;
    }
    res.status(200).json({});
    guardTask(node, () => session.notify());
  });
}

export = function (RED: NodeAPI): void {
  serveConfigMigrations(RED, VEN_MIGRATIONS);
  function VenNode(this: Node, def: VenDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = tlsAwareStatus(RED, def.vtn, statusFor(node));
    const settings = readSettings(def, RED._);
    const { config } = settings;
    const view = new VenView(RED, node, config, status);
    const hookPath = `/openadr3-ven/${node.id}/notify`;
    let session: VenSession | undefined;
    let client: VenClient | undefined;
    let stopHealth: (() => void) | undefined;
    let removeRoute: (() => void) | undefined;
    try {
      if (settings.setupError) throw settings.setupError;
      client = vtnConfig(RED, config.vtn).getClient();
      const webhook = webhookSettings(RED, node, config, hookPath);
      session = startSession(RED, node, settings, view, client, webhook);
      stopHealth = followHealth(client, status, RED._);
      if (session.wantsWebhookRoute)
        removeRoute = serveWebhook(RED, node, session, hookPath, webhook.bearerToken);
    } catch (err) {
      settings.setupError = err as Error;
      showSetupProblem(status, err);
    }
    if (session) {
      status.waiting(RED._('openadr3-ven.status.connecting'));
      session.start();
    }

    handleInput(node, RED._, async (msg, send) => {
      // An imported flow before its credentials are entered: the status already says what to
      // do; an error per message (e.g. every VTN change wired in) would only fill the log.
      if (!session && isMissingCredentials(settings.setupError)) {
        status.waiting(RED._('vtn.status.credentialsMessageDropped'));
        return;
      }
      if (!session) throw settings.setupError ?? new Error(RED._('openadr3-ven.errors.notConfigured'));
      const trigger: Trigger = { send, msg };
      const result = await session.poll({ force: true, fresh: true, trigger });
      if (result === undefined && !view.pollerLastGood())
        throw new Error(RED._('openadr3-ven.errors.noTimeline'));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      stopHealth?.();
      status.clear();
      removeRoute?.();
      void (session?.close() ?? Promise.resolve()).then(done, done);
    });
  }
  registerType(RED, 'openadr3-ven', VenNode);
};

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
  ensureEventSubscription,
  OpenAdrError,
  PollResult,
  PriceTimeline,
  PricePoller,
  ProgramNotFoundError,
  registerVen,
  startMqttPush,
  VenClient,
  type MqttPush,
  type MqttPushState,
} from '../../src/openadr/client';
import { processClock } from '../../src/time/clock';
import { migrateConfig } from '../shared/config-version';
import { guardTask, handleInput, Send } from '../shared/input';
import { statusFor } from '../shared/status';
import { followHealth, hhmm, isMissingCredentials, showSetupProblem, vtnConfig } from '../shared/vtn';

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

interface HttpRouter {
  post(path: string, handler: (req: HttpReq, res: HttpRes) => void): void;
  _router?: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
}
interface HttpReq {
  headers: Record<string, string | string[] | undefined>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  resume?: () => void;
}
interface HttpRes {
  status(code: number): HttpRes;
  json(body: unknown): void;
}

const PUSH_MODES = ['none', 'webhook', 'mqtt', 'auto'] as const;
type PushMode = (typeof PUSH_MODES)[number];

/** Version 1 → 2: the webhook checkbox became the push mode. */
const MIGRATIONS = [
  (c: Record<string, unknown>) => ({
    ...c,
    push: c.webhook === true || c.webhook === 'true' ? 'webhook' : 'none',
  }),
];

function formatPrice(t: PriceTimeline): string {
  if (t.current) {
    const unit = [t.current.currency, t.current.units].filter(Boolean).join('/');
    return `${t.current.price}${unit ? ` ${unit}` : ''}`;
  }
  return 'no price now';
}

export = function (RED: NodeAPI): void {
  function VenNode(this: Node, def: VenDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = statusFor(node);
    let setupError: Error | undefined;
    let config = def;
    try {
      config = migrateConfig(def, MIGRATIONS);
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
        `push must be one of ${PUSH_MODES.join(', ')}, got ${JSON.stringify(config.push)}`,
      );

    let poller: PricePoller | undefined;
    let client: VenClient | undefined;
    let stopHealth: (() => void) | undefined;
    try {
      if (setupError) throw setupError;
      client = vtnConfig(RED, config.vtn).getClient();
      poller = createPricePoller({
        client,
        programName: config.programName?.trim() || undefined,
        programID: config.programID?.trim() || undefined,
        payloadType: config.payloadType?.trim() || 'PRICE',
        // "Now" for the timeline is the process clock; the poll period stays real (network timing).
        now: processClock().now,
      });
      stopHealth = followHealth(client, status);
    } catch (err) {
      setupError = err as Error;
      showSetupProblem(status, err);
    }

    let running: Promise<PollResult | undefined> | undefined;
    let lastLogged = '';
    let warned = new Set<string>();
    let closed = false;

    const timelineMsg = (
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

    const showOk = (result: PollResult): void => {
      const t = result.timeline;
      const next = t.nextChange ? ` · next ${hhmm(t.nextChange)}` : '';
      const warn = t.warnings.length ? ` · ${t.warnings.length} warning(s)` : '';
      const push = mqttPush?.state().active ? ' · push mqtt' : subscriptionID ? ' · push webhook' : '';
      status.ok(`${formatPrice(t)} · ${t.intervals.length} slots${next}${push}${warn}`);
    };

    // ---- optional webhook push (polling stays on as the fallback) ---------------------------
    const hookPath = `/openadr3-ven/${node.id}/notify`;
    const hookToken = crypto.randomBytes(18).toString('hex');
    const httpNode = (RED as unknown as { httpNode?: HttpRouter }).httpNode;
    let subscriptionID: string | undefined;
    let pushProblem = '';
    const hasCallbackBase = Boolean(String(config.callbackBase ?? '').trim());
    const wantMqtt = (pushMode === 'mqtt' || pushMode === 'auto') && Boolean(client);
    /** auto: a webhook only once it is known the VTN offers no MQTT. */
    const webhookRoute =
      Boolean(client) && (pushMode === 'webhook' || (pushMode === 'auto' && hasCallbackBase));
    let mqttPush: MqttPush | undefined;
    let mqttProgramID: string | undefined;
    /** Discovery found no MQTT notifier (3.0.1, no /notifiers, no broker): do not ask again. */
    let noMqtt = false;
    let mqttDown = false;

    const callbackUrl = (): string => {
      const root = String((RED.settings as { httpNodeRoot?: string | false }).httpNodeRoot || '/').replace(
        /\/+$/,
        '',
      );
      return `${String(config.callbackBase ?? '').replace(/\/+$/, '')}${root}${hookPath}`;
    };

    /** After a good poll (the program id is known): register and subscribe, once. */
    const setUpPush = async (result: PollResult): Promise<void> => {
      if (closed || !client || result.program?.id === undefined) return;
      const programID = String(result.program.id);
      if (mqttPush && mqttProgramID !== programID) {
        // The program was replaced (same name, new id): its topics are other topics.
        const old = mqttPush;
        mqttPush = undefined;
        await old.close();
      }
      if (wantMqtt && !mqttPush && !noMqtt) {
        await setUpMqtt(programID);
        if (mqttPush || !noMqtt) return;
      }
      const wantWebhook = pushMode === 'webhook' || (pushMode === 'auto' && noMqtt && hasCallbackBase);
      if (!wantWebhook || subscriptionID) return;
      try {
        if (!/^https?:\/\//i.test(config.callbackBase ?? '')) {
          throw new Error('callback base URL (how the VTN reaches this Node-RED) must be an http(s) URL');
        }
        const venName = config.venName?.trim() || `node-red-${node.id}`;
        if (config.venName?.trim())
          await registerVen(client, { venName, resourceName: config.resourceName?.trim() || undefined });
        const sub = await ensureEventSubscription(client, {
          clientName: venName,
          programID: String(result.program.id),
          callbackUrl: callbackUrl(),
          bearerToken: hookToken,
        });
        subscriptionID = sub.id === undefined ? undefined : String(sub.id);
        pushProblem = '';
      } catch (err) {
        // Push is optional: say why once, keep polling, try again after the next good poll.
        const text = `webhook push not set up (polling continues): ${(err as Error).message}`;
        if (text !== pushProblem) node.warn(text);
        pushProblem = text;
      }
    };

    const pollSoon = (): void =>
      guardTask(node, async () => {
        try {
          // A poll that started before the notification may have read the events before the
          // change: wait for it and poll anew.
          await poll((msg) => node.send(msg as NodeMessageInFlow), false, undefined, true);
        } catch {
          // shown as status; polling retries
        }
      });

    const onMqttState = (s: MqttPushState): void => {
      if (closed) return;
      // Once per outage: the reason may change while mqtt.js retries (lost → refused → …).
      if (s.active) mqttDown = false;
      else if (s.error && !mqttDown) {
        mqttDown = true;
        node.warn(`MQTT push down, polling every ${pollMs / 1000} s until it is back: ${s.error}`);
      }
      arm(s.active ? safetyMs : pollMs);
      const last = poller?.lastGood();
      if (last && client?.health().state === 'ok') showOk(last);
    };

    /** Discover the VTN's MQTT notifier and subscribe to the program's event topics. */
    const setUpMqtt = async (programID: string): Promise<void> => {
      if (!client) return;
      try {
        const p = await startMqttPush({ client, programID, onChange: pollSoon, onState: onMqttState });
        if (closed) {
          await p?.close();
          return;
        }
        if (p) {
          mqttPush = p;
          mqttProgramID = programID;
        } else {
          noMqtt = true;
          if (pushMode === 'mqtt')
            node.warn('the VTN offers no MQTT notifier (3.0.1, or no broker configured): polling only');
        }
      } catch (err) {
        // Push is optional: say why once and keep polling. A VTN that could not be reached is
        // asked again after the next good poll; a refusal or a binding this node cannot use
        // (4xx, unsupported authentication) will not change, so MQTT is given up (auto: webhook).
        const retry = err instanceof OpenAdrError && err.retryable;
        const text = `MQTT push not set up (polling continues${retry ? '' : ' without it'}): ${(err as Error).message}`;
        if (text !== pushProblem) node.warn(text);
        pushProblem = text;
        if (!retry) noMqtt = true;
      }
    };

    if (webhookRoute && httpNode) {
      httpNode.post(hookPath, (req, res) => {
        req.resume?.(); // the body is not needed: any change means "poll now"
        if (req.headers.authorization !== `Bearer ${hookToken}`) {
          res.status(401).json({ title: 'Unauthorized', detail: 'wrong or missing bearer token' });
          return;
        }
        res.status(200).json({});
        pollSoon();
      });
    }

    /** Poll once (single flight). Sends what changed; on failure keeps the last timeline. */
    const poll = async (
      send: Send,
      force: boolean,
      trigger?: NodeMessageInFlow,
      fresh = force,
    ): Promise<PollResult | undefined> => {
      if (!poller) throw setupError ?? new Error('not configured');
      // A timer tick joins the poll in progress; an input message (and a push notification:
      // `fresh`) waits for it and polls anew, so it gets an answer from a poll that started after
      // it arrived.
      for (let inProgress = running; inProgress; inProgress = running) {
        if (!fresh) return inProgress;
        await inProgress.catch(() => undefined);
      }
      const p = poller;
      running = (async () => {
        try {
          const result = await p.poll();
          if (closed) return result;
          await setUpPush(result);
          lastLogged = '';
          // Log each timeline warning once, not on every poll while the same event is on the VTN.
          for (const w of result.timeline.warnings) if (!warned.has(w)) node.warn(w);
          warned = new Set(result.timeline.warnings);
          const out1 = result.eventsChanged
            ? {
                topic: result.program?.programName ?? '',
                payload: result.events,
                changes: result.changes,
                program: result.program,
              }
            : null;
          const out2 =
            result.timelineChanged || force
              ? timelineMsg(result.timeline, result, trigger ? { _msgid: trigger._msgid } : {})
              : null;
          if (out1 || out2) send([out1 as NodeMessageInFlow | null, out2 as NodeMessageInFlow | null]);
          showOk(result);
          return result;
        } catch (err) {
          if (closed) return undefined;
          const e = err as Error;
          // A program that is not there yet (its publisher is starting up) is a wait, not a failure,
          // for scheduled polls; a poll asked for by a message still reports it to the flow.
          if (e instanceof ProgramNotFoundError && !trigger && !p.lastGood()) {
            if (e.message !== lastLogged) {
              lastLogged = e.message;
              node.warn(`waiting: ${e.message}`);
            }
            status.waiting(
              `waiting for program "${config.programName?.trim() || config.programID?.trim()}" on the VTN`,
            );
            return undefined;
          }
          const reachability = err instanceof OpenAdrError && err.retryable;
          if (e.message !== lastLogged) {
            lastLogged = e.message;
            // An unreachable VTN is retried (yellow status): a warning, like the status. It is
            // also what an offline machine sees from a public server, e.g. in an imported example.
            if (reachability) node.warn(`poll failed, retrying: ${e.message}`);
            else node.error(`poll failed: ${e.message}`);
          }
          const stale = p.timelineFromLastGood();
          const last = p.lastGood();
          if (stale && last) {
            const since = client?.health().since ?? null;
            const text = reachability
              ? `VTN unreachable since ${hhmm(since)} · last timeline kept`
              : `${e.message} · last timeline kept`;
            if (reachability) status.waiting(text);
            else status.error(text);
            if (force)
              send([
                null,
                timelineMsg(stale, last, { stale: true, error: e.message }) as unknown as NodeMessageInFlow,
              ]);
            return undefined;
          }
          if (reachability) {
            const since = client?.health().since ?? null;
            status.waiting(`VTN unreachable since ${hhmm(since)} · retrying`);
          } else status.error(e.message);
          throw e;
        } finally {
          running = undefined;
        }
      })();
      return running;
    };

    const tick = (): void =>
      guardTask(node, async () => {
        try {
          await poll((msg) => node.send(msg as NodeMessageInFlow), false);
        } catch {
          // Already shown as status and logged once; the next tick retries.
        }
      });

    // One timer, re-armed after each tick: its period is the poll interval, or the safety poll
    // interval while MQTT push is up.
    let timer: NodeJS.Timeout | undefined;
    function arm(delay: number): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (closed || !poller) return;
      // setTimeout fires at once for delays beyond 2^31-1 ms (about 24.8 days).
      timer = setTimeout(
        () => {
          tick();
          arm(mqttPush?.state().active ? safetyMs : pollMs);
        },
        Math.min(delay, 2 ** 31 - 1),
      );
    }
    if (poller) {
      status.waiting('connecting…');
      arm(0);
    }

    handleInput(node, async (msg, send) => {
      // An imported flow before its credentials are entered: the status already says what to
      // do; an error per message (e.g. every VTN change wired in) would only fill the log.
      if (!poller && isMissingCredentials(setupError)) {
        status.waiting('enter client credentials · message dropped');
        return;
      }
      if (!poller) throw setupError ?? new Error('not configured');
      const result = await poll(send, true, msg);
      if (result === undefined && !poller.lastGood()) throw new Error('no timeline yet');
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      stopHealth?.();
      status.clear();
      const stack = httpNode?._router?.stack;
      if (stack) {
        for (let i = stack.length - 1; i >= 0; i--) {
          if (stack[i].route?.path === hookPath && stack[i].route?.methods.post) stack.splice(i, 1);
        }
      }
      const sub = subscriptionID;
      const endMqtt = mqttPush?.close() ?? Promise.resolve();
      mqttPush = undefined;
      // Best effort: drop the subscription so the VTN stops calling a gone endpoint; never hold
      // the close longer than a few seconds.
      const dropSub =
        sub && client ? client.deleteSubscription(sub).catch(() => undefined) : Promise.resolve();
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(giveUp);
        done();
      };
      const giveUp = setTimeout(finish, 3000);
      void Promise.all([endMqtt, dropSub]).then(finish, finish);
    });
  }
  RED.nodes.registerType('openadr3-ven', VenNode as unknown as (this: Node, def: NodeDef) => void);
};

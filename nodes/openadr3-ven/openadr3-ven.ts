/**
 * openadr3-ven: polls a VTN for a program's events and turns them into a price timeline.
 * Output 1: the events, when any was added, changed or removed. Output 2: the price timeline
 * (`msg.payload` = [{start, end, price, currency, units, eventID, intervalID}], plus
 * `msg.currentPrice`, `msg.nextChange`), when it changes and on every input message.
 * When the VTN is unreachable the last good timeline is kept (recomputed for "now") and the
 * status says since when.
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
  VenClient,
} from '../../src/openadr/client';
import { processClock } from '../../src/time/clock';
import { migrateConfig } from '../shared/config-version';
import { guardTask, handleInput, Send } from '../shared/input';
import { statusFor } from '../shared/status';
import { followHealth, hhmm, vtnConfig } from '../shared/vtn';

interface VenDef extends NodeDef {
  vtn: string;
  programName: string;
  programID: string;
  pollIntervalS: number | string;
  payloadType: string;
  /** Optional push: register the VEN and subscribe with a webhook to this Node-RED. */
  webhook?: boolean;
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
    const config = migrateConfig(def, []);
    const intervalS = Number(config.pollIntervalS);
    const pollMs = (Number.isFinite(intervalS) && intervalS >= 1 ? intervalS : 60) * 1000;

    let poller: PricePoller | undefined;
    let client: VenClient | undefined;
    let stopHealth: (() => void) | undefined;
    let setupError: Error | undefined;
    try {
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
      status.error(setupError.message);
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
      const push = subscriptionID ? ' · push' : '';
      status.ok(`${formatPrice(t)} · ${t.intervals.length} slots${next}${push}${warn}`);
    };

    // ---- optional webhook push (polling stays on as the fallback) ---------------------------
    const hookPath = `/openadr3-ven/${node.id}/notify`;
    const hookToken = crypto.randomBytes(18).toString('hex');
    const httpNode = (RED as unknown as { httpNode?: HttpRouter }).httpNode;
    let subscriptionID: string | undefined;
    let pushProblem = '';
    const wantPush = Boolean(config.webhook) && Boolean(client);

    const callbackUrl = (): string => {
      const root = String((RED.settings as { httpNodeRoot?: string | false }).httpNodeRoot || '/').replace(
        /\/+$/,
        '',
      );
      return `${String(config.callbackBase ?? '').replace(/\/+$/, '')}${root}${hookPath}`;
    };

    /** After a good poll (the program id is known): register and subscribe, once. */
    const setUpPush = async (result: PollResult): Promise<void> => {
      if (!wantPush || subscriptionID || !client || result.program?.id === undefined) return;
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

    if (wantPush && httpNode) {
      httpNode.post(hookPath, (req, res) => {
        req.resume?.(); // the body is not needed: any change means "poll now"
        if (req.headers.authorization !== `Bearer ${hookToken}`) {
          res.status(401).json({ title: 'Unauthorized', detail: 'wrong or missing bearer token' });
          return;
        }
        res.status(200).json({});
        guardTask(node, async () => {
          try {
            await poll((msg) => node.send(msg as NodeMessageInFlow), false);
          } catch {
            // shown as status; polling retries
          }
        });
      });
    }

    /** Poll once (single flight). Sends what changed; on failure keeps the last timeline. */
    const poll = async (
      send: Send,
      force: boolean,
      trigger?: NodeMessageInFlow,
    ): Promise<PollResult | undefined> => {
      if (!poller) throw setupError ?? new Error('not configured');
      // A timer tick joins the poll in progress; an input message waits for it and polls anew,
      // so it always gets an answer from a poll that started after it arrived.
      for (let inProgress = running; inProgress; inProgress = running) {
        if (!force) return inProgress;
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
          if (e.message !== lastLogged) {
            lastLogged = e.message;
            node.error(`poll failed: ${e.message}`);
          }
          const stale = p.timelineFromLastGood();
          const last = p.lastGood();
          const reachability = err instanceof OpenAdrError && err.retryable;
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

    let timer: NodeJS.Timeout | undefined;
    let first: NodeJS.Timeout | undefined;
    if (poller) {
      status.waiting('connecting…');
      first = setTimeout(tick, 0);
      timer = setInterval(tick, pollMs);
    }

    handleInput(node, async (msg, send) => {
      if (!poller) throw setupError ?? new Error('not configured');
      const result = await poll(send, true, msg);
      if (result === undefined && !poller.lastGood()) throw new Error('no timeline yet');
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      stopHealth?.();
      status.clear();
      const stack = httpNode?._router?.stack;
      if (stack) {
        for (let i = stack.length - 1; i >= 0; i--) {
          if (stack[i].route?.path === hookPath && stack[i].route?.methods.post) stack.splice(i, 1);
        }
      }
      const sub = subscriptionID;
      if (!sub || !client) return done();
      // Best effort: drop the subscription so the VTN stops calling a gone endpoint; never hold
      // the close longer than a few seconds.
      const giveUp = setTimeout(done, 3000);
      client.deleteSubscription(sub).then(
        () => {
          clearTimeout(giveUp);
          done();
        },
        () => {
          clearTimeout(giveUp);
          done();
        },
      );
    });
  }
  RED.nodes.registerType('openadr3-ven', VenNode as unknown as (this: Node, def: NodeDef) => void);
};

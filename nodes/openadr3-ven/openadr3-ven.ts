/**
 * openadr3-ven: polls a VTN for a program's events and turns them into a price timeline.
 * Output 1: the events, when any was added, changed or removed. Output 2: the price timeline
 * (`msg.payload` = [{start, end, price, currency, units, eventID, intervalID}], plus
 * `msg.currentPrice`, `msg.nextChange`), when it changes and on every input message.
 * When the VTN is unreachable the last good timeline is kept (recomputed for "now") and the
 * status says since when.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  createPricePoller,
  OpenAdrError,
  PollResult,
  PriceTimeline,
  PricePoller,
} from '../../src/openadr/client';
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
  configVersion?: number;
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
    let stopHealth: (() => void) | undefined;
    let setupError: Error | undefined;
    try {
      const client = vtnConfig(RED, config.vtn).getClient();
      poller = createPricePoller({
        client,
        programName: config.programName?.trim() || undefined,
        programID: config.programID?.trim() || undefined,
        payloadType: config.payloadType?.trim() || 'PRICE',
      });
      stopHealth = followHealth(client, status);
    } catch (err) {
      setupError = err as Error;
      status.error(setupError.message);
    }

    let running: Promise<PollResult | undefined> | undefined;
    let lastLogged = '';
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
      status.ok(`${formatPrice(t)} · ${t.intervals.length} slots${next}${warn}`);
    };

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
          lastLogged = '';
          for (const w of result.timeline.warnings) node.warn(w);
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
          if (e.message !== lastLogged) {
            lastLogged = e.message;
            node.error(`poll failed: ${e.message}`);
          }
          const stale = p.timelineFromLastGood();
          const last = p.lastGood();
          const reachability = err instanceof OpenAdrError && err.retryable;
          if (stale && last) {
            const since = (() => {
              try {
                return vtnConfig(RED, config.vtn).getClient().health().since;
              } catch {
                return null;
              }
            })();
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
          if (reachability) status.waiting(`VTN unreachable: ${e.message.replace(/^.*?: /, '')} · retrying`);
          else status.error(e.message);
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
      done();
    });
  }
  RED.nodes.registerType('openadr3-ven', VenNode as unknown as (this: Node, def: NodeDef) => void);
};

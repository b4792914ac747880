/**
 * openadr3-local-price: the retail price a home receives (openadr3-ven's price timeline) plus an
 * optional emissions burden (an emissions series from the flow × a price per metric ton) → the
 * local price as an OpenADR event and a program marked local, ready for openadr3-publish on the
 * home's own VTN (3.1.0 Definition, "Local Scenarios"). The arithmetic is in the core
 * (src/openadr/local/local-price.ts); this node remembers the latest of each input.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { PriceSlot } from '../../src/openadr/client';
import {
  computeLocalPrice,
  emissionsSpans,
  localPriceEvent,
  localPriceProgram,
} from '../../src/openadr/local/local-price';
import { processClock } from '../../src/time/clock';
import { instantOf } from '../../src/time/datetime';
import { migrateConfig } from '../shared/config-version';
import { handleInput } from '../shared/input';
import { packLimits } from '../shared/limits';
import { registerType } from '../shared/red';
import { tooMany } from '../../src/limits';
import { statusFor } from '../shared/status';

interface LocalPriceDef extends NodeDef {
  programName: string;
  eventName: string;
  /** Price of a metric ton of CO2e, in the retail price's currency; empty = no burden. */
  dollarsPerTon: string | number;
  configVersion?: number;
}

type Msg = NodeMessageInFlow & {
  emissions?: unknown;
  dollarsPerTon?: unknown;
  program?: { programName?: string; retailerName?: string | null } | null;
};

/** A price per ton ≥ 0, or an error with the catalog message `key`. */
function asNumber(v: unknown, problem: (value: string) => string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(problem(JSON.stringify(v)));
  return n;
}

export = function (RED: NodeAPI): void {
  function LocalPriceNode(this: Node, def: LocalPriceDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = statusFor(node);
    const config = migrateConfig(def, [], RED._);
    const programName = config.programName?.trim() || 'local-price';
    const eventName = config.eventName?.trim() || 'local-price';
    let setupError: Error | undefined;
    let dollarsPerTon = 0;
    try {
      dollarsPerTon =
        String(config.dollarsPerTon ?? '').trim() === ''
          ? 0
          : asNumber(config.dollarsPerTon, (value) => RED._('openadr3-local-price.errors.perTon', { value }));
    } catch (err) {
      setupError = err as Error;
      status.error((err as Error).message);
    }
    let retail: PriceSlot[] | undefined;
    let retailProgram: Msg['program'];
    let emissions: unknown;
    if (!setupError) status.waiting(RED._('openadr3-local-price.status.waiting'));

    handleInput(node, RED._, async (raw, send) => {
      if (setupError) throw setupError;
      const msg = raw as Msg;
      // What this message brings (an emissions series — topic "emissions", or msg.emissions beside
      // a price —, a new price per ton, the retail price timeline) is kept only once the local
      // price has been computed with it: a bad message leaves the node as it was.
      // The work grows with retail slots × emissions values: both bounded like a schedule.
      const { maxScheduleIntervals } = packLimits(RED);
      const bounded = <T>(value: T, field: string): T => {
        if (Array.isArray(value) && value.length > maxScheduleIntervals)
          throw tooMany(field, value.length, maxScheduleIntervals, 'maxScheduleIntervals');
        return value;
      };
      let nextRetail = retail;
      let nextProgram = retailProgram;
      let nextEmissions = emissions;
      let nextPerTon = dollarsPerTon;
      if (msg.topic === 'emissions') nextEmissions = bounded(msg.payload, 'msg.payload (emissions)');
      else {
        if (msg.emissions !== undefined) nextEmissions = bounded(msg.emissions, 'msg.emissions');
        if (Array.isArray(msg.payload)) {
          nextRetail = bounded(msg.payload as PriceSlot[], 'msg.payload');
          if (msg.program) nextProgram = msg.program;
        } else if (msg.emissions === undefined && msg.dollarsPerTon === undefined)
          // (A message that only sets emissions or the price per ton may carry any payload,
          // e.g. an inject node's timestamp.)
          throw new Error(RED._('openadr3-local-price.errors.payload'));
      }
      if (msg.dollarsPerTon !== undefined)
        nextPerTon = asNumber(msg.dollarsPerTon, (value) =>
          RED._('openadr3-local-price.errors.msgPerTon', { value }),
        );
      const now = processClock().now();
      // Without a price yet, an emissions series is checked on its own before it is kept.
      const result = nextRetail ? computeLocalPrice(nextRetail, nextEmissions, nextPerTon, now) : undefined;
      if (!nextRetail) emissionsSpans(nextEmissions, now);
      retail = nextRetail;
      retailProgram = nextProgram;
      emissions = nextEmissions;
      dollarsPerTon = nextPerTon;
      if (!result) {
        status.waiting(RED._('openadr3-local-price.status.waiting'));
        return;
      }
      for (const w of result.warnings) node.warn(w);
      const current = result.slots.find((s) => instantOf(s.start) <= now && now < instantOf(s.end));
      const unit = current ? [current.currency, current.units].filter(Boolean).join('/') : '';
      const count = result.slots.length;
      status.ok(
        !current
          ? RED._('openadr3-local-price.status.noneNow', { count })
          : current.burden
            ? RED._('openadr3-local-price.status.nowWithBurden', {
                price: current.price,
                unit,
                retail: current.retail,
                burden: current.burden,
                count,
              })
            : RED._('openadr3-local-price.status.now', { price: current.price, unit, count }),
      );
      send({
        ...msg,
        topic: programName,
        payload: localPriceEvent(result, { eventName }),
        program: localPriceProgram(programName, retailProgram ?? undefined, {
          units: result.slots[0]?.units,
          currency: result.slots[0]?.currency,
        }),
        slots: result.slots,
        warnings: result.warnings,
        dollarsPerTon,
      });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.clear();
      done();
    });
  }
  registerType(RED, 'openadr3-local-price', LocalPriceNode);
};

/**
 * The adapter both scheduler nodes share (hpwh-lp-scheduler, hpwh-heuristic-scheduler): one
 * editor config, one msg contract; only the algorithm differs. Business logic lives in
 * src/scheduling; this file reads config and msg, calls the core, maps the answer to msg/status.
 *
 * Input: msg.payload a price timeline [{start, end, price}], an OpenADR event or a plain price
 * array; msg.soc (kWh) the tank's energy now; msg.load (kWh per interval) the draw; msg.params the
 * full parameters (camelCase or the seed's snake_case); msg.start the start of a plain array.
 * A message with msg.soc but no prices (telemetry) updates the tank level and re-plans the last
 * timeline, if there is one.
 * Output: msg.payload the schedule {intervals, totalCost, baselineCost, savings, converged,
 * algorithm, …}; msg.current the interval to act on now; msg.signal its CTA-2045 signal.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  Algorithm,
  HeaterSettings,
  LpEngine,
  paramsForTimeline,
  planFrom,
  PriceInterval,
  SchedulePayload,
  SchedulerParams,
  scheduleTimeline,
  SeedParams,
  toPriceTimeline,
  normalizeParams,
  checkTimeZone,
} from '../../src';
import { processClock } from '../../src/time/clock';
import { migrateConfig } from './config-version';
import { handleInput } from './input';
import { statusFor } from './status';

export interface SchedulerNodeConfig extends NodeDef {
  configVersion?: number;
  capacityKwh?: string | number;
  reserveKwh?: string | number;
  maxOutputKw?: string | number;
  minOutputKw?: string | number;
  cop?: string | number;
  initialSocKwh?: string | number;
  finalSocKwh?: string | number;
  drawProfile?: string;
  dailyDrawKwh?: string | number;
  timeZone?: string;
  horizon?: string;
  intervalMinutes?: string | number;
  engine?: string;
  loadUpPercent?: string | number;
  advancedLoadUpPercent?: string | number;
}

/** The node's settings, checked once at deploy. */
export interface SchedulerSettings {
  heater: Partial<HeaterSettings>;
  initialSoc: number;
  finalSoc: number | undefined;
  useMsgLoad: boolean;
  fromNow: boolean;
  intervalHours: number;
  engine: LpEngine;
  thresholds: { loadUp: number; advancedLoadUp: number };
}

function num(
  config: SchedulerNodeConfig,
  key: keyof SchedulerNodeConfig,
  fallback: number | undefined,
): number | undefined {
  const raw = config[key];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(value)) throw new Error(`setting ${String(key)}: "${String(raw)}" is not a number`);
  return value;
}

/** Read and check the editor config (a bad setting → an error naming it). */
export function readSettings(config: SchedulerNodeConfig): SchedulerSettings {
  const drawProfile = config.drawProfile || 'residential';
  if (!['flat', 'residential', 'msg'].includes(drawProfile)) {
    throw new Error(`setting drawProfile: "${drawProfile}" (use flat, residential or msg)`);
  }
  const timeZone = (config.timeZone || '').trim() || undefined;
  checkTimeZone(timeZone);
  const engine = (config.engine || 'exact') as LpEngine;
  if (engine !== 'exact' && engine !== 'javascript-lp-solver') throw new Error(`setting engine: "${engine}"`);
  const heater: Partial<HeaterSettings> = {
    capacityKwh: num(config, 'capacityKwh', 12),
    reserveKwh: num(config, 'reserveKwh', 1),
    maxOutputKw: num(config, 'maxOutputKw', 4.5),
    minOutputKw: num(config, 'minOutputKw', 0),
    cop: num(config, 'cop', 3),
    dailyDrawKwh: num(config, 'dailyDrawKwh', 10),
    drawProfile: drawProfile === 'msg' ? 'flat' : (drawProfile as HeaterSettings['drawProfile']),
    timeZone,
  };
  const intervalMinutes = num(config, 'intervalMinutes', 60)!;
  if (!(intervalMinutes > 0)) throw new Error(`setting intervalMinutes: must be > 0, got ${intervalMinutes}`);
  return {
    heater,
    initialSoc: num(config, 'initialSocKwh', 6)!,
    finalSoc: num(config, 'finalSocKwh', undefined),
    useMsgLoad: drawProfile === 'msg',
    fromNow: (config.horizon || 'fromNow') !== 'all',
    intervalHours: intervalMinutes / 60,
    engine,
    thresholds: {
      loadUp: num(config, 'loadUpPercent', 30)! / 100,
      advancedLoadUp: num(config, 'advancedLoadUpPercent', 80)! / 100,
    },
  };
}

type SchedulerMsg = NodeMessageInFlow & {
  soc?: unknown;
  load?: unknown;
  params?: unknown;
  start?: unknown;
};

function isPriceInput(payload: unknown): boolean {
  return (
    Array.isArray(payload) ||
    (!!payload &&
      typeof payload === 'object' &&
      Array.isArray((payload as { intervals?: unknown }).intervals))
  );
}

/** A cta2045-out / hpwh-modbus-out telemetry payload (it carries the tank level as msg.soc). */
function isTelemetry(payload: unknown): boolean {
  return (
    !!payload && typeof payload === 'object' && ('operatingState' in payload || 'energyStoredWh' in payload)
  );
}

function readSoc(value: unknown): number {
  const soc = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof soc !== 'number' || !Number.isFinite(soc)) {
    throw new Error(`msg.soc must be the tank's energy in kWh (a number), got ${JSON.stringify(value)}`);
  }
  return soc;
}

function readLoad(value: unknown, n: number): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== n ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    throw new Error(`msg.load must be ${n} numbers (kWh drawn in each interval of msg.payload)`);
  }
  return value as number[];
}

/**
 * javascript-lp-solver's time grows super-linearly (about 10 s at 2,880 intervals) and would block
 * Node-RED's event loop; beyond this the node asks for the exact engine, which gives the same cost.
 */
export const MAX_LP_SOLVER_INTERVALS = 1000;

function checkEngineSize(settings: SchedulerSettings, algorithm: Algorithm, n: number): void {
  if (algorithm === 'lp' && settings.engine === 'javascript-lp-solver' && n > MAX_LP_SOLVER_INTERVALS) {
    throw new Error(
      `${n} intervals is too many for the javascript-lp-solver engine (at most ${MAX_LP_SOLVER_INTERVALS}; it would block Node-RED for seconds): use the exact engine, same optimum`,
    );
  }
}

/** Compute a schedule from one message (pure apart from the clock; exported for tests). */
export function scheduleFromMessage(
  msg: SchedulerMsg,
  settings: SchedulerSettings,
  algorithm: Algorithm,
  soc: number,
  now: Date,
): {
  payload: SchedulePayload;
  timeline: PriceInterval[];
  current: SchedulePayload['intervals'][number] | null;
} {
  const options = { algorithm, engine: settings.engine, thresholds: settings.thresholds };
  if (msg.params !== undefined) {
    if (!msg.params || typeof msg.params !== 'object')
      throw new Error('msg.params must be an object of scheduler parameters');
    const given = { ...(msg.params as Record<string, unknown>) };
    if (msg.soc !== undefined) {
      given.initialSoc = soc;
      delete given.initial_soc;
    }
    const params = normalizeParams(given as unknown as SchedulerParams | SeedParams);
    const timeline =
      msg.payload !== undefined && isPriceInput(msg.payload)
        ? toPriceTimeline(msg.payload, {
            start: msg.start as string | undefined,
            intervalHours: params.intervalHours,
            now,
          })
        : toPriceTimeline(params.price, {
            start: msg.start as string | undefined,
            intervalHours: params.intervalHours,
            now,
          });
    if (timeline.length !== params.n) {
      throw new Error(`msg.payload has ${timeline.length} intervals but msg.params.price has ${params.n}`);
    }
    checkEngineSize(settings, algorithm, params.n);
    const payload = scheduleTimeline(timeline, params, options);
    return { payload, timeline, current: intervalAt(payload, now) };
  }
  const timeline = toPriceTimeline(msg.payload, {
    start: msg.start as string | undefined,
    intervalHours: settings.intervalHours,
    now,
  });
  checkEngineSize(settings, algorithm, timeline.length);
  let load: number[] | undefined;
  if (msg.load !== undefined) load = readLoad(msg.load, timeline.length);
  else if (settings.useMsgLoad)
    throw new Error('the draw profile is "msg.load" but the message has no msg.load');
  if (settings.fromNow) {
    const plan = planFrom(now, timeline, {
      soc,
      heater: settings.heater,
      load,
      finalSoc: settings.finalSoc,
      ...options,
    });
    const { current, ...payload } = plan;
    return { payload, timeline, current };
  }
  const params = paramsForTimeline(timeline, settings.heater, soc, load, settings.finalSoc);
  const payload = scheduleTimeline(timeline, params, options);
  return { payload, timeline, current: intervalAt(payload, now) };
}

function intervalAt(payload: SchedulePayload, now: Date): SchedulePayload['intervals'][number] | null {
  const t = now.getTime();
  return payload.intervals.find((i) => Date.parse(i.start) <= t && t < Date.parse(i.end)) ?? null;
}

/** "$0.58 · saves 14 % · 24 intervals" */
export function statusText(payload: SchedulePayload): string {
  const parts = [`$${payload.totalCost.toFixed(2)}`];
  if (payload.savingsPercent !== null) parts.push(`saves ${Math.round(payload.savingsPercent)} %`);
  parts.push(`${payload.intervals.length} interval${payload.intervals.length === 1 ? '' : 's'}`);
  if (!payload.converged) parts.unshift('not converged');
  return parts.join(' · ');
}

/** Register one scheduler node type with the given algorithm. */
export function registerSchedulerNode(RED: NodeAPI, type: string, algorithm: Algorithm): void {
  function SchedulerNode(this: Node, rawConfig: SchedulerNodeConfig) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const status = statusFor(node);
    let settings: SchedulerSettings | undefined;
    let settingsError: Error | undefined;
    try {
      settings = readSettings(migrateConfig(rawConfig, []));
    } catch (err) {
      settingsError = err as Error;
      status.error(settingsError.message);
    }
    let soc = settings?.initialSoc ?? 0;
    /** The last message with prices, re-planned when only the tank level changes. */
    let lastPrices: SchedulerMsg | undefined;

    handleInput<SchedulerMsg>(node, (msg, send) => {
      if (!settings) throw settingsError ?? new Error('invalid settings');
      // Telemetry reports unknown numbers as null: an unknown level keeps the remembered one.
      if (msg.soc === null) msg = { ...msg, soc: undefined };
      if (msg.soc !== undefined) soc = readSoc(msg.soc);
      let source = msg;
      if (msg.params === undefined && !isPriceInput(msg.payload)) {
        if (msg.soc === undefined) {
          if (isTelemetry(msg.payload)) {
            status.waiting(`telemetry without a tank level · still ${soc.toFixed(1)} kWh`);
            return;
          }
          throw new Error(
            'msg.payload must be a price timeline [{start, end, price}], an OpenADR event or an array of prices',
          );
        }
        // Telemetry: remember the tank level and re-plan the last prices from it.
        if (!lastPrices) {
          status.waiting(`tank ${soc.toFixed(1)} kWh · waiting for prices`);
          return;
        }
        source = { ...lastPrices, soc };
      }
      const { payload, current } = scheduleFromMessage(
        source,
        settings,
        algorithm,
        soc,
        new Date(processClock().now()),
      );
      if (source === msg) lastPrices = { ...msg, soc: undefined } as SchedulerMsg;
      if (payload.converged && !payload.feasible) {
        node.warn(
          `the ${algorithm} scheduler says converged but its schedule breaks ${payload.violations.length} limit(s): ${payload.violations[0].message}`,
        );
      } else if (!payload.converged) {
        node.warn(
          `no schedule keeps every limit (${payload.violations[0]?.message ?? 'infeasible'}); sent the fallback: full output, clipped so the tank never overflows`,
        );
      }
      const out = {
        ...source,
        _msgid: msg._msgid,
        payload,
        current,
        signal: current ? current.signal : null,
      } as NodeMessageInFlow;
      if (payload.converged) status.ok(statusText(payload));
      else status.waiting(statusText(payload));
      send(out);
    });
  }
  RED.nodes.registerType(type, SchedulerNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}

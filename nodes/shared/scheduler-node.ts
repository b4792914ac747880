/**
 * The adapter both scheduler nodes share (hpwh-lp-scheduler, hpwh-heuristic-scheduler): one
 * editor config, one msg contract; only the algorithm differs. Business logic lives in
 * src/scheduling; this file reads config and msg, calls the core, maps the answer to msg/status.
 *
 * Input: msg.payload a price timeline [{start, end, price}], an OpenADR event or a plain price
 * array; msg.soc (kWh) the tank's energy now; msg.load (kWh per interval) the draw; msg.params the
 * full parameters (camelCase or the snake_case of the Annex 96 hot-water reference implementation);
 * msg.start the start of a plain array; with the tank-temperature option, msg.tankTempC /
 * msg.tankTempF (or the configured property) the tank's temperature, read as msg.soc would be.
 * A message with msg.soc but no prices (telemetry) updates the tank level and re-plans the last
 * timeline, if there is one.
 * Output: msg.payload the schedule {intervals, totalCost, baselineCost, savings, converged,
 * algorithm, …}; msg.current the interval to act on now; msg.signal its CTA-2045 signal.
 */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import {
  Algorithm,
  paramsForTimeline,
  planFrom,
  PriceInterval,
  SchedulePayload,
  SchedulerParams,
  scheduleTimeline,
  ReferenceParams,
  toPriceTimeline,
  normalizeParams,
  tankEnergyKwh,
} from '../../src';
import { processClock } from '../../src/time/clock';
import { instantOf } from '../../src/time/datetime';
import { migrateConfig } from './config-version';
import type { Translate } from './i18n';
import { handleInput } from './input';
import { packLimits } from './limits';
import { statusFor } from './status';
import { serveSchedulerEditor } from './scheduler-editor';
import { readSettings, SchedulerNodeConfig, SchedulerSettings, TankTempSettings } from './scheduler-settings';
import { LIMITS_SETTING, PackLimits } from '../../src/limits';

export type { SchedulerNodeConfig, SchedulerSettings } from './scheduler-settings';
export { readSettings } from './scheduler-settings';

type SchedulerMsg = NodeMessageInFlow & {
  soc?: unknown;
  tankTempC?: unknown;
  tankTempF?: unknown;
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

/**
 * A tank reading more than this many times the tank's capacity is a mistake, most often Wh sent
 * where kWh is expected (telemetry's energyStoredWh is in Wh; msg.soc is in kWh).
 */
const SOC_CAPACITY_FACTOR = 10;

function readSoc(value: unknown, capacityKwh: number | undefined, t: Translate): number {
  const soc = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof soc !== 'number' || !Number.isFinite(soc)) {
    throw new Error(t('scheduler.errors.soc', { value: describe(value) }));
  }
  if (soc < 0) throw new Error(t('scheduler.errors.socNegative', { value: soc }));
  const capacity = capacityKwh !== undefined && capacityKwh > 0 ? capacityKwh : undefined;
  if (capacity !== undefined && soc > SOC_CAPACITY_FACTOR * capacity) {
    throw new Error(
      t('scheduler.errors.socAboveCapacity', { value: soc, factor: SOC_CAPACITY_FACTOR, capacity }),
    );
  }
  return soc;
}

/**
 * The tank's energy (kWh above the inlet) from a temperature reading, when the node reads them:
 * msg.tankTempC, msg.tankTempF or the configured property. Undefined when the message has none.
 */
function socFromTemperature(
  msg: SchedulerMsg,
  tank: TankTempSettings,
  getProperty: (msg: SchedulerMsg, path: string) => unknown,
  t: Translate,
): number | undefined {
  const readings: Array<[unknown, 'C' | 'F', string]> = [
    [msg.tankTempC, 'C', 'msg.tankTempC'],
    [msg.tankTempF, 'F', 'msg.tankTempF'],
  ];
  if (tank.property) readings.unshift([getProperty(msg, tank.property), tank.unit, `msg.${tank.property}`]);
  const found = readings.find(([value]) => value !== undefined && value !== null);
  if (!found) return undefined;
  const [raw, unit, where] = found;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  const tankTempC = typeof value === 'number' ? (unit === 'F' ? ((value - 32) * 5) / 9 : value) : NaN;
  if (!Number.isFinite(tankTempC) || tankTempC < 0 || tankTempC > 100) {
    throw new Error(t('scheduler.errors.tankTemp', { where, value: describe(raw) }));
  }
  return tankEnergyKwh({ volumeLiters: tank.volumeLiters, tankTempC, inletTempC: tank.inletTempC });
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}

function readLoad(value: unknown, n: number, t: Translate): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== n ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    throw new Error(t('scheduler.errors.load', { count: n }));
  }
  return value as number[];
}

/**
 * javascript-lp-solver's time grows super-linearly (about 10 s at 2,880 intervals) and would block
 * Node-RED's event loop; beyond this the node asks for the exact engine, which gives the same cost.
 */
export const MAX_LP_SOLVER_INTERVALS = 1000;

function checkEngineSize(
  settings: SchedulerSettings,
  algorithm: Algorithm,
  n: number,
  t: Translate,
  limits: PackLimits | undefined,
): void {
  // The heuristic's work grows with about the square of the interval count (the original's greedy,
  // kept operation for operation): up to about 0.6 s at 2,880 intervals, seconds at 10,000.
  if (algorithm === 'heuristic' && limits && n > limits.maxHeuristicIntervals) {
    throw new Error(
      t('scheduler.errors.tooManyForHeuristic', {
        count: n,
        max: limits.maxHeuristicIntervals,
        setting: `${LIMITS_SETTING}.maxHeuristicIntervals`,
      }),
    );
  }
  if (algorithm === 'lp' && settings.engine === 'javascript-lp-solver' && n > MAX_LP_SOLVER_INTERVALS) {
    throw new Error(t('scheduler.errors.tooManyForSolver', { count: n, max: MAX_LP_SOLVER_INTERVALS }));
  }
}

/** Compute a schedule from one message (pure apart from the clock; exported for tests). */
export function scheduleFromMessage(
  msg: SchedulerMsg,
  settings: SchedulerSettings,
  algorithm: Algorithm,
  soc: number,
  now: Date,
  t: Translate,
  limits?: PackLimits,
): {
  payload: SchedulePayload;
  timeline: PriceInterval[];
  current: SchedulePayload['intervals'][number] | null;
} {
  const options = { algorithm, engine: settings.engine, thresholds: settings.thresholds };
  if (msg.params !== undefined) {
    if (!msg.params || typeof msg.params !== 'object') throw new Error(t('scheduler.errors.params'));
    const given = { ...(msg.params as Record<string, unknown>) };
    if (msg.soc !== undefined) {
      given.initialSoc = soc;
      delete given.initial_soc;
    }
    const params = normalizeParams(given as unknown as SchedulerParams | ReferenceParams);
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
      throw new Error(t('scheduler.errors.lengthMismatch', { payload: timeline.length, price: params.n }));
    }
    checkEngineSize(settings, algorithm, params.n, t, limits);
    const payload = scheduleTimeline(timeline, params, options);
    return { payload, timeline, current: intervalAt(payload, now) };
  }
  const timeline = toPriceTimeline(msg.payload, {
    start: msg.start as string | undefined,
    intervalHours: settings.intervalHours,
    now,
  });
  checkEngineSize(settings, algorithm, timeline.length, t, limits);
  let load: number[] | undefined;
  if (msg.load !== undefined) load = readLoad(msg.load, timeline.length, t);
  else if (settings.useMsgLoad) throw new Error(t('scheduler.errors.noLoad'));
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
  return payload.intervals.find((i) => instantOf(i.start) <= t && t < instantOf(i.end)) ?? null;
}

/** "$0.58 · saves 14 % · 24 intervals" */
export function statusText(payload: SchedulePayload, t: Translate): string {
  const parts = [t('scheduler.status.cost', { cost: payload.totalCost })];
  if (payload.savingsPercent !== null)
    parts.push(t('scheduler.status.saves', { percent: Math.round(payload.savingsPercent) }));
  parts.push(t('scheduler.status.intervals', { count: payload.intervals.length }));
  if (!payload.converged) parts.unshift(t('scheduler.status.notConverged'));
  return parts.join(' · ');
}

/** The tank capacity a reading is checked against: msg.params' maxStorage, else the setting. */
function capacityOf(msg: SchedulerMsg, settings: SchedulerSettings): number | undefined {
  const params = msg.params as { maxStorage?: unknown; max_storage_capacity?: unknown } | undefined;
  const given =
    params && typeof params === 'object' ? (params.maxStorage ?? params.max_storage_capacity) : undefined;
  if (typeof given === 'number' && Number.isFinite(given)) return given;
  return settings.heater.capacityKwh;
}

type NodeConstructor = Parameters<NodeAPI['nodes']['registerType']>[1];

/**
 * The node constructor for one scheduler type with the given algorithm; each type's entry file
 * registers it under its own name, and the first one also serves the editor both types share.
 */
export function schedulerNode(RED: NodeAPI, algorithm: Algorithm): NodeConstructor {
  serveSchedulerEditor(RED);
  function SchedulerNode(this: Node, rawConfig: SchedulerNodeConfig) {
    RED.nodes.createNode(this, rawConfig as unknown as Parameters<NodeAPI['nodes']['createNode']>[1]);
    const node = this;
    const status = statusFor(node);
    let settings: SchedulerSettings | undefined;
    let settingsError: Error | undefined;
    try {
      settings = readSettings(migrateConfig(rawConfig, [], RED._), RED._);
    } catch (err) {
      settingsError = err as Error;
      status.error(settingsError.message);
    }
    let soc = settings?.initialSoc ?? 0;
    const limits = packLimits(RED);
    /** The last message with prices, re-planned when only the tank level changes. */
    let lastPrices: SchedulerMsg | undefined;

    handleInput<SchedulerMsg>(node, RED._, (msg, send) => {
      if (!settings) throw settingsError ?? new Error(RED._('scheduler.errors.invalidSettings'));
      // Telemetry reports unknown numbers as null: an unknown level keeps the remembered one.
      if (msg.soc === null) msg = { ...msg, soc: undefined };
      // A temperature reading stands for msg.soc (an explicit msg.soc wins).
      if (msg.soc === undefined && settings.tankTemp) {
        const fromTemp = socFromTemperature(msg, settings.tankTemp, RED.util.getMessageProperty, RED._);
        if (fromTemp !== undefined) msg = { ...msg, soc: fromTemp };
      }
      if (msg.soc !== undefined) soc = readSoc(msg.soc, capacityOf(msg, settings), RED._);
      let source = msg;
      if (msg.params === undefined && !isPriceInput(msg.payload)) {
        if (msg.soc === undefined) {
          if (isTelemetry(msg.payload)) {
            status.waiting(RED._('scheduler.status.telemetryWithoutLevel', { soc }));
            return;
          }
          throw new Error(RED._('scheduler.errors.payload'));
        }
        // Telemetry: remember the tank level and re-plan the last prices from it.
        if (!lastPrices) {
          status.waiting(RED._('scheduler.status.waitingForPrices', { soc }));
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
        RED._,
        limits,
      );
      if (source === msg) lastPrices = { ...msg, soc: undefined } as SchedulerMsg;
      if (payload.converged && !payload.feasible) {
        node.warn(
          RED._(
            algorithm === 'lp'
              ? 'scheduler.warnings.lpBreaksLimits'
              : 'scheduler.warnings.heuristicBreaksLimits',
            { count: payload.violations.length, first: payload.violations[0].message },
          ),
        );
      } else if (!payload.converged) {
        node.warn(
          payload.violations[0]
            ? RED._('scheduler.warnings.fallback', { why: payload.violations[0].message })
            : RED._('scheduler.warnings.fallbackInfeasible'),
        );
      }
      const out = {
        ...source,
        _msgid: msg._msgid,
        payload,
        current,
        signal: current ? current.signal : null,
      } as NodeMessageInFlow;
      if (payload.converged) status.ok(statusText(payload, RED._));
      else status.waiting(statusText(payload, RED._));
      send(out);
    });
  }
  return SchedulerNode as unknown as NodeConstructor;
}

/**
 * The scheduler nodes' settings: one table of every editor field with its default and its rule.
 * The runtime reads a node's config from it (`readSettings`) and the editor builds its
 * `defaults` and validation from it (served by ./scheduler-editor.ts), so a default lives here
 * and in the core's DEFAULT_HEATER / DEFAULT_SIGNAL_THRESHOLDS only.
 */
import { checkTimeZone, DEFAULT_HEATER, DEFAULT_SIGNAL_THRESHOLDS } from '../../src';
import type { HeaterSettings, LpEngine } from '../../src';
import { readFlag, readNumber, readText, type NumberRule } from './config';
import type { Translate } from './i18n';

export interface NumberField {
  kind: 'number';
  /** The editor's default; '' for a setting that may stay blank. */
  value: number | '';
  rule: NumberRule;
  /** At most the value of this other field. */
  atMost?: string;
  /** Only checked while this checkbox field is ticked. */
  when?: string;
}

export interface ChoiceField {
  kind: 'choice';
  value: string;
  choices: string[];
}

export interface FlagField {
  kind: 'flag';
  value: boolean;
}

export interface TextField {
  kind: 'text';
  value: string;
}

export type SchedulerField = NumberField | ChoiceField | FlagField | TextField;

const percent = (fraction: number): number => Math.round(fraction * 100);

/** Every setting of both scheduler nodes (`engine` is the LP scheduler's only). */
export const SCHEDULER_FIELDS = {
  capacityKwh: {
    kind: 'number',
    value: DEFAULT_HEATER.capacityKwh,
    rule: 'positive',
  },
  reserveKwh: {
    kind: 'number',
    value: DEFAULT_HEATER.reserveKwh,
    rule: 'notNegative',
    atMost: 'capacityKwh',
  },
  maxOutputKw: {
    kind: 'number',
    value: DEFAULT_HEATER.maxOutputKw,
    rule: 'notNegative',
  },
  minOutputKw: {
    kind: 'number',
    value: DEFAULT_HEATER.minOutputKw,
    rule: 'notNegative',
    atMost: 'maxOutputKw',
  },
  cop: { kind: 'number', value: DEFAULT_HEATER.cop, rule: 'positive' },
  initialSocKwh: { kind: 'number', value: 6, rule: 'finite' },
  finalSocKwh: { kind: 'number', value: '', rule: 'notNegative' },
  drawProfile: { kind: 'choice', value: DEFAULT_HEATER.drawProfile, choices: ['residential', 'flat', 'msg'] },
  dailyDrawKwh: {
    kind: 'number',
    value: DEFAULT_HEATER.dailyDrawKwh,
    rule: 'notNegative',
  },
  timeZone: { kind: 'text', value: '' },
  horizon: { kind: 'choice', value: 'fromNow', choices: ['fromNow', 'all'] },
  intervalMinutes: { kind: 'number', value: 60, rule: 'positive' },
  engine: { kind: 'choice', value: 'exact', choices: ['exact', 'javascript-lp-solver'] },
  loadUpPercent: {
    kind: 'number',
    value: percent(DEFAULT_SIGNAL_THRESHOLDS.loadUp),
    rule: 'finite',
  },
  advancedLoadUpPercent: {
    kind: 'number',
    value: percent(DEFAULT_SIGNAL_THRESHOLDS.advancedLoadUp),
    rule: 'finite',
  },
  useTankTemp: { kind: 'flag', value: false },
  tankVolumeL: {
    kind: 'number',
    value: 300,
    rule: 'positive',
    when: 'useTankTemp',
  },
  inletTemp: {
    kind: 'number',
    value: 10,
    rule: 'finite',
    when: 'useTankTemp',
  },
  tempUnit: { kind: 'choice', value: 'C', choices: ['C', 'F'] },
  tankTempProperty: { kind: 'text', value: '' },
} satisfies Record<string, SchedulerField>;

export type SchedulerFieldName = keyof typeof SCHEDULER_FIELDS;

/** The node's config as the editor saves it. */
export type SchedulerNodeConfig = {
  id: string;
  type: string;
  name?: string;
  z?: string;
  configVersion?: number;
} & { [K in SchedulerFieldName]?: unknown };

/** Reading tank temperatures: the water volume, the inlet in °C, and where a reading comes from. */
export interface TankTempSettings {
  volumeLiters: number;
  inletTempC: number;
  /** The unit of `property` (msg.tankTempC / msg.tankTempF say theirs). */
  unit: 'C' | 'F';
  /** A msg property holding the temperature, besides msg.tankTempC / msg.tankTempF. */
  property: string | undefined;
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
  /** Set when the node re-plans from tank temperature readings. */
  tankTemp: TankTempSettings | undefined;
}

const toCelsius = (value: number, unit: 'C' | 'F'): number => (unit === 'F' ? ((value - 32) * 5) / 9 : value);

/** Read and check the editor config (a bad setting → an error naming it). */
export function readSettings(config: SchedulerNodeConfig, t: Translate): SchedulerSettings {
  const defaultOf = (key: SchedulerFieldName): number | undefined => {
    const value = (SCHEDULER_FIELDS[key] as { value: unknown }).value;
    return typeof value === 'number' ? value : undefined;
  };
  const num = (key: SchedulerFieldName): number | undefined =>
    readNumber(config[key], defaultOf(key), {
      error: (value) => new Error(t('schedulerSettings.errors.notANumber', { setting: key, value })),
    });
  const drawProfile = readText(config.drawProfile, SCHEDULER_FIELDS.drawProfile.value);
  if (!SCHEDULER_FIELDS.drawProfile.choices.includes(drawProfile)) {
    throw new Error(t('schedulerSettings.errors.drawProfile', { value: drawProfile }));
  }
  const timeZone = readText(config.timeZone);
  checkTimeZone(timeZone);
  const engine = readText(config.engine, SCHEDULER_FIELDS.engine.value) as LpEngine;
  if (!SCHEDULER_FIELDS.engine.choices.includes(engine))
    throw new Error(t('schedulerSettings.errors.engine', { value: engine }));
  const heater: Partial<HeaterSettings> = {
    capacityKwh: num('capacityKwh'),
    reserveKwh: num('reserveKwh'),
    maxOutputKw: num('maxOutputKw'),
    minOutputKw: num('minOutputKw'),
    cop: num('cop'),
    dailyDrawKwh: num('dailyDrawKwh'),
    drawProfile: drawProfile === 'msg' ? 'flat' : (drawProfile as HeaterSettings['drawProfile']),
    timeZone,
  };
  const intervalMinutes = num('intervalMinutes')!;
  if (!(intervalMinutes > 0))
    throw new Error(t('schedulerSettings.errors.intervalMinutes', { value: intervalMinutes }));
  return {
    heater,
    initialSoc: num('initialSocKwh')!,
    finalSoc: num('finalSocKwh'),
    useMsgLoad: drawProfile === 'msg',
    fromNow: readText(config.horizon, SCHEDULER_FIELDS.horizon.value) !== 'all',
    intervalHours: intervalMinutes / 60,
    engine,
    thresholds: {
      loadUp: num('loadUpPercent')! / 100,
      advancedLoadUp: num('advancedLoadUpPercent')! / 100,
    },
    tankTemp: readTankTemp(config, num, t),
  };
}

function readTankTemp(
  config: SchedulerNodeConfig,
  num: (key: SchedulerFieldName) => number | undefined,
  t: Translate,
): TankTempSettings | undefined {
  if (!readFlag(config.useTankTemp, SCHEDULER_FIELDS.useTankTemp.value)) return undefined;
  const unit = readText(config.tempUnit, SCHEDULER_FIELDS.tempUnit.value) === 'F' ? 'F' : 'C';
  const volumeLiters = num('tankVolumeL')!;
  if (!(volumeLiters > 0)) throw new Error(t('schedulerSettings.errors.tankVolume', { value: volumeLiters }));
  const inletTempC = toCelsius(num('inletTemp')!, unit);
  if (!(inletTempC >= 0 && inletTempC <= 100))
    throw new Error(t('schedulerSettings.errors.inletTemp', { value: String(config.inletTemp ?? ''), unit }));
  const property = readText(config.tankTempProperty)?.replace(/^msg\./, '');
  return { volumeLiters, inletTempC, unit, property };
}

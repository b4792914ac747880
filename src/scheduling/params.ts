/**
 * The scheduling model's parameters: what both schedulers take, in our camelCase names, plus the
 * the reference implementation's snake_case object (`initial_soc`, `min_storage_capacity`, …) so its users can paste what
 * they already have. `normalizeParams` validates everything once and broadcasts scalars, so the
 * algorithms only ever see per-interval arrays of finite numbers.
 */

/** A value that is either the same for every interval or given per interval. */
export type PerInterval = number | readonly number[];

export interface SchedulerParams {
  /** Price per interval ($/kWh electrical). Sets the horizon length n. */
  price: readonly number[];
  /** Thermal energy drawn from the tank in each interval (kWh). */
  load: readonly number[];
  /** Coefficient of performance (thermal kWh per electrical kWh), > 0. */
  cop: PerInterval;
  /** Tank energy at the start of the horizon (kWh). */
  initialSoc: number;
  /** Reserve the tank must keep after every interval (kWh). */
  minStorage: number;
  /** Tank capacity (kWh). */
  maxStorage: number;
  /** Minimum heat-pump thermal output per interval (kWh per interval). Default 0. */
  minInput?: PerInterval;
  /** Maximum heat-pump thermal output per interval (kWh per interval). */
  maxInput: PerInterval;
  /** Length of one interval in hours (1 = hourly, 0.25 = 15-minute). Default 1. */
  intervalHours?: number;
  /** Minimum tank energy at the end of the horizon (kWh), for receding-horizon planning. */
  finalSoc?: number;
}

/** The reference implementation's Python parameter dict, as its users write it. */
export interface ReferenceParams {
  n?: number;
  price: readonly number[];
  load: readonly number[];
  cop: PerInterval;
  initial_soc: number;
  min_storage_capacity: number;
  max_storage_capacity: number;
  min_input?: PerInterval;
  max_input: PerInterval;
  interval_hours?: number;
  final_soc?: number;
}

/** Validated parameters: every per-interval value is an array of length n. */
export interface NormalizedParams {
  n: number;
  price: number[];
  load: number[];
  cop: number[];
  initialSoc: number;
  minStorage: number;
  maxStorage: number;
  minInput: number[];
  maxInput: number[];
  intervalHours: number;
  /** undefined when no terminal requirement was given. */
  finalSoc: number | undefined;
}

/** A parameter is missing or wrong; `field` names it (e.g. `load[3]`). */
export class SchedulingParamsError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`scheduler parameter ${field}: ${problem}`);
    this.name = 'SchedulingParamsError';
    this.field = field;
  }
}

const SNAKE_TO_CAMEL: Record<string, keyof SchedulerParams> = {
  initial_soc: 'initialSoc',
  min_storage_capacity: 'minStorage',
  max_storage_capacity: 'maxStorage',
  min_input: 'minInput',
  max_input: 'maxInput',
  interval_hours: 'intervalHours',
  final_soc: 'finalSoc',
};

const SNAKE_ENTRIES = Object.entries(SNAKE_TO_CAMEL);

type AnyParams = SchedulerParams | ReferenceParams | NormalizedParams;

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'number') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 40 ? `${text.slice(0, 39)}…` : text;
  } catch {
    return typeof value;
  }
}

function finiteNumber(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SchedulingParamsError(field, `must be a finite number, got ${describe(value)}`);
  }
  return value;
}

function numberList(field: string, value: unknown, n?: number): number[] {
  if (!Array.isArray(value))
    throw new SchedulingParamsError(field, `must be an array of numbers, got ${describe(value)}`);
  if (n !== undefined && value.length !== n) {
    throw new SchedulingParamsError(field, `must have ${n} values (one per price), got ${value.length}`);
  }
  // A loop, not map(): the field name is built only for the value that is wrong (this runs on
  // every plan), and a hole in a sparse array is refused like undefined.
  const out = value.slice() as number[];
  for (let i = 0; i < out.length; i++) {
    const v: unknown = out[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) finiteNumber(`${field}[${i}]`, v);
  }
  return out;
}

function perInterval(field: string, value: unknown, n: number): number[] {
  if (typeof value === 'number') return new Array<number>(n).fill(finiteNumber(field, value));
  if (Array.isArray(value)) return numberList(field, value, n);
  throw new SchedulingParamsError(
    field,
    `must be a number or an array of ${n} numbers, got ${describe(value)}`,
  );
}

/** Read camelCase or the reference implementation's snake_case keys into one camelCase record (camelCase wins). */
function readKeys(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const [snake, camel] of SNAKE_ENTRIES) {
    if (out[camel] === undefined && input[snake] !== undefined) out[camel] = input[snake];
  }
  return out;
}

/**
 * Validate parameters (camelCase or the reference implementation's snake_case) and broadcast scalars.
 * Throws a SchedulingParamsError naming the field on any problem.
 */
export function normalizeParams(input: AnyParams): NormalizedParams {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SchedulingParamsError('params', `must be an object, got ${describe(input)}`);
  }
  const raw = readKeys(input as unknown as Record<string, unknown>);
  const price = numberList('price', raw.price);
  const n = price.length;
  if (n === 0) throw new SchedulingParamsError('price', 'must have at least one interval');
  if (raw.n !== undefined && raw.n !== n) {
    throw new SchedulingParamsError('n', `is ${describe(raw.n)} but price has ${n} values`);
  }
  const load = numberList('load', raw.load, n);
  const cop = perInterval('cop', raw.cop, n);
  for (let i = 0; i < n; i++) {
    const c = cop[i];
    if (!(c > 0))
      throw new SchedulingParamsError(Array.isArray(raw.cop) ? `cop[${i}]` : 'cop', `must be > 0, got ${c}`);
  }
  const initialSoc = finiteNumber('initialSoc', raw.initialSoc);
  const minStorage = finiteNumber('minStorage', raw.minStorage);
  const maxStorage = finiteNumber('maxStorage', raw.maxStorage);
  if (minStorage > maxStorage) {
    throw new SchedulingParamsError('minStorage', `(${minStorage}) must be <= maxStorage (${maxStorage})`);
  }
  const minInput = perInterval('minInput', raw.minInput ?? 0, n);
  if (raw.maxInput === undefined) throw new SchedulingParamsError('maxInput', 'missing');
  const maxInput = perInterval('maxInput', raw.maxInput, n);
  for (let h = 0; h < n; h++) {
    if (minInput[h] > maxInput[h]) {
      throw new SchedulingParamsError(
        Array.isArray(raw.minInput) || Array.isArray(raw.maxInput) ? `minInput[${h}]` : 'minInput',
        `(${minInput[h]}) must be <= maxInput (${maxInput[h]})`,
      );
    }
  }
  const intervalHours =
    raw.intervalHours === undefined ? 1 : finiteNumber('intervalHours', raw.intervalHours);
  if (!(intervalHours > 0))
    throw new SchedulingParamsError('intervalHours', `must be > 0, got ${intervalHours}`);
  const finalSoc =
    raw.finalSoc === undefined || raw.finalSoc === null ? undefined : finiteNumber('finalSoc', raw.finalSoc);
  return {
    n,
    price,
    load,
    cop,
    initialSoc,
    minStorage,
    maxStorage,
    minInput,
    maxInput,
    intervalHours,
    finalSoc,
  };
}

/** Tolerance for "a limit holds": absolute, scaled to the problem's energy magnitudes. */
export function energyTolerance(p: NormalizedParams): number {
  let scale = Math.max(1, Math.abs(p.maxStorage), Math.abs(p.minStorage), Math.abs(p.initialSoc));
  for (let h = 0; h < p.n; h++) scale = Math.max(scale, Math.abs(p.maxInput[h]), Math.abs(p.load[h]));
  return 1e-9 * scale;
}

/** The tank level required after interval h (the reserve, or the terminal level at the end). */
export function requiredLevelAfter(p: NormalizedParams, h: number): number {
  return h === p.n - 1 && p.finalSoc !== undefined ? Math.max(p.minStorage, p.finalSoc) : p.minStorage;
}

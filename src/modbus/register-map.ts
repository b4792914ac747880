/**
 * The Modbus register map: which registers/coils to write for each command, and which registers
 * to read back as telemetry. Water heaters and their controllers have no common Modbus profile,
 * so the map is data the user supplies (JSON), checked here with errors that name the field.
 *
 * One convention for numbers both ways: `scale` is engineering units per raw count
 * (e.g. 0.1 → a register holding 523 means 52.3). Writes send `round(value / scale)`;
 * reads report `raw * scale`.
 */

import { COMMAND_NAMES, CommandName, resolveCommand } from '../device/commands';
import type { Telemetry } from '../device/telemetry';

// The command names, their fallbacks and the signal map are the device contract (src/device).
export { COMMAND_FALLBACK, SIGNAL_COMMAND } from '../device/commands';

/** The commands the node accepts (the device contract's names). */
export const MODBUS_COMMANDS = COMMAND_NAMES;
export type ModbusCommand = CommandName;

/** Commands every map must define; the others fall back (see COMMAND_FALLBACK). */
export const REQUIRED_COMMANDS: readonly ModbusCommand[] = ['shed', 'normal', 'loadup'];

export type WritableKind = 'holding' | 'coil';
export type ReadableKind = 'holding' | 'input' | 'coil' | 'discrete';

/** One write: a holding register (number, scaled) or a coil (boolean). */
export interface RegisterWrite {
  kind: WritableKind;
  address: number;
  /** Engineering value for a holding register (scaled), true/false for a coil. */
  value: number | boolean;
  /** Engineering units per raw count (holding registers only); default 1. */
  scale?: number;
  /** Two's complement 16-bit when true (holding registers only). */
  signed?: boolean;
  /** What this register is, for logs and results (e.g. "setpoint °C"). */
  label?: string;
}

/** Telemetry fields (the device telemetry contract) a state register can feed. */
export type TelemetryField = Exclude<keyof Telemetry, 'time' | 'device'>;
export const TELEMETRY_FIELDS: readonly TelemetryField[] = [
  'operatingState',
  'energyTakeWh',
  'energyStoredWh',
  'capacityWh',
  'powerW',
  'customerOverride',
];

/** One register read back on every poll. */
export interface StateRegister {
  /** Key in `telemetry.device.registers`. */
  name: string;
  kind: ReadableKind;
  address: number;
  /** 2 = 32-bit value over two registers, high word first (holding/input only); default 1. */
  words?: 1 | 2;
  scale?: number;
  signed?: boolean;
  units?: string;
  /** Which telemetry field this register fills, if any. */
  telemetry?: TelemetryField;
  /** Raw value → name, e.g. {"0": "IdleNormal"}; required when telemetry is operatingState. */
  states?: Record<string, string>;
}

export interface RegisterMap {
  /** Free text: which controller this map is for. */
  description?: string;
  commands: Partial<Record<ModbusCommand, RegisterWrite[]>>;
  state: StateRegister[];
}

export type RegisterMapValidation = { valid: true; map: RegisterMap } | { valid: false; errors: string[] };

/** Thrown by parseRegisterMap; `errors` lists every problem, each naming its field. */
export class RegisterMapError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid register map: ${errors.join('; ')}`);
    this.name = 'RegisterMapError';
  }
}

const WRITABLE: readonly string[] = ['holding', 'coil'];
const READABLE: readonly string[] = ['holding', 'input', 'coil', 'discrete'];
const IS_REGISTER = (kind: string): boolean => kind === 'holding' || kind === 'input';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkAddress(v: unknown, at: string, errors: string[]): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
    errors.push(`${at}.address: must be an integer 0..65535 (got ${JSON.stringify(v)})`);
}

function checkScale(v: unknown, at: string, errors: string[]): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v === 0)
    errors.push(`${at}.scale: must be a non-zero number (got ${JSON.stringify(v)})`);
}

function checkOptionalBoolean(v: unknown, at: string, errors: string[]): void {
  if (v !== undefined && typeof v !== 'boolean') errors.push(`${at}: must be true or false`);
}

/** Raw 16-bit register value for an engineering value, or an error message. */
export function rawRegisterValue(value: number, scale = 1, signed = false): number | string {
  const raw = Math.round(value / scale);
  const [lo, hi] = signed ? [-32768, 32767] : [0, 65535];
  if (!Number.isFinite(raw) || raw < lo || raw > hi)
    return `${value} with scale ${scale} is ${raw} raw, outside ${lo}..${hi}`;
  return signed && raw < 0 ? raw + 65536 : raw;
}

function checkWrite(w: unknown, at: string, errors: string[]): void {
  if (!isObject(w)) {
    errors.push(`${at}: must be an object {kind, address, value}`);
    return;
  }
  const before = errors.length;
  if (typeof w.kind !== 'string' || !WRITABLE.includes(w.kind))
    errors.push(`${at}.kind: must be "holding" or "coil" (got ${JSON.stringify(w.kind)})`);
  checkAddress(w.address, at, errors);
  checkScale(w.scale, at, errors);
  checkOptionalBoolean(w.signed, `${at}.signed`, errors);
  if (w.label !== undefined && typeof w.label !== 'string') errors.push(`${at}.label: must be a string`);
  if (errors.length > before) return;
  if (w.kind === 'coil') {
    if (typeof w.value !== 'boolean') errors.push(`${at}.value: a coil takes true or false`);
    if (w.scale !== undefined || w.signed !== undefined)
      errors.push(`${at}: scale and signed apply to holding registers, not coils`);
    return;
  }
  if (typeof w.value !== 'number' || !Number.isFinite(w.value)) {
    errors.push(`${at}.value: a holding register takes a number (got ${JSON.stringify(w.value)})`);
    return;
  }
  const raw = rawRegisterValue(w.value, w.scale as number | undefined, w.signed === true);
  if (typeof raw === 'string') errors.push(`${at}.value: ${raw}`);
}

function checkState(s: unknown, at: string, errors: string[], names: Set<string>): void {
  if (!isObject(s)) {
    errors.push(`${at}: must be an object {name, kind, address}`);
    return;
  }
  if (typeof s.name !== 'string' || s.name.trim() === '')
    errors.push(`${at}.name: must be a non-empty string`);
  else if (names.has(s.name)) errors.push(`${at}.name: "${s.name}" is used twice`);
  else names.add(s.name);
  const kindOk = typeof s.kind === 'string' && READABLE.includes(s.kind);
  if (!kindOk)
    errors.push(
      `${at}.kind: must be "holding", "input", "coil" or "discrete" (got ${JSON.stringify(s.kind)})`,
    );
  checkAddress(s.address, at, errors);
  checkScale(s.scale, at, errors);
  checkOptionalBoolean(s.signed, `${at}.signed`, errors);
  if (s.units !== undefined && typeof s.units !== 'string') errors.push(`${at}.units: must be a string`);
  if (s.words !== undefined && s.words !== 1 && s.words !== 2)
    errors.push(`${at}.words: must be 1 or 2 (got ${JSON.stringify(s.words)})`);
  if (kindOk && !IS_REGISTER(s.kind as string) && (s.words === 2 || s.scale !== undefined))
    errors.push(`${at}: words and scale apply to holding/input registers, not ${s.kind as string}`);
  if (s.words === 2 && typeof s.address === 'number' && s.address > 65534)
    errors.push(`${at}.address: a 2-word value needs address + 1 ≤ 65535`);
  if (s.telemetry !== undefined && !(TELEMETRY_FIELDS as readonly unknown[]).includes(s.telemetry))
    errors.push(
      `${at}.telemetry: must be one of ${TELEMETRY_FIELDS.join(', ')} (got ${JSON.stringify(s.telemetry)})`,
    );
  if (s.states !== undefined) {
    if (!isObject(s.states) || Object.values(s.states).some((v) => typeof v !== 'string'))
      errors.push(`${at}.states: must map raw values to names, e.g. {"0": "IdleNormal"}`);
    else if (Object.keys(s.states).some((k) => !/^-?\d+$/.test(k)))
      errors.push(`${at}.states: keys must be integer raw values`);
  }
  if (s.telemetry === 'operatingState' && s.states === undefined)
    errors.push(`${at}.states: required when telemetry is operatingState (raw value → state name)`);
}

/** Check a register map (e.g. parsed from the editor's JSON) and list every problem. */
export function validateRegisterMap(input: unknown): RegisterMapValidation {
  const errors: string[] = [];
  if (!isObject(input)) return { valid: false, errors: ['register map: must be a JSON object'] };
  if (input.description !== undefined && typeof input.description !== 'string')
    errors.push('description: must be a string');
  const commands = input.commands;
  if (!isObject(commands)) {
    errors.push('commands: must be an object mapping command names to lists of writes');
  } else {
    for (const key of Object.keys(commands)) {
      if (!(MODBUS_COMMANDS as readonly string[]).includes(key))
        errors.push(`commands.${key}: unknown command (known: ${MODBUS_COMMANDS.join(', ')})`);
    }
    for (const name of MODBUS_COMMANDS) {
      const writes = commands[name];
      if (writes === undefined) {
        if (REQUIRED_COMMANDS.includes(name)) errors.push(`commands.${name}: required`);
        continue;
      }
      if (!Array.isArray(writes) || writes.length === 0) {
        errors.push(`commands.${name}: must be a non-empty list of writes`);
        continue;
      }
      writes.forEach((w, i) => checkWrite(w, `commands.${name}[${i}]`, errors));
    }
  }
  const state = input.state ?? [];
  if (!Array.isArray(state)) errors.push('state: must be a list of registers to read');
  else {
    const names = new Set<string>();
    state.forEach((s, i) => checkState(s, `state[${i}]`, errors, names));
    const fields = state
      .filter(isObject)
      .map((s) => s.telemetry)
      .filter((t) => t !== undefined);
    const twice = fields.filter((f, i) => fields.indexOf(f) !== i);
    for (const f of new Set(twice))
      errors.push(`state: telemetry field ${String(f)} is fed by more than one register`);
  }
  if (errors.length > 0) return { valid: false, errors };
  return { valid: true, map: { ...(input as unknown as RegisterMap), state: state as StateRegister[] } };
}

/** validateRegisterMap, throwing a RegisterMapError that lists every problem. */
export function parseRegisterMap(input: unknown): RegisterMap {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new RegisterMapError([`register map: not valid JSON (${(err as Error).message})`]);
    }
  }
  const result = validateRegisterMap(value);
  if (!result.valid) throw new RegisterMapError(result.errors);
  return result.map;
}

/** The writes for a command, following COMMAND_FALLBACK when the map leaves it out. */
export function writesFor(
  map: RegisterMap,
  command: ModbusCommand,
): { command: ModbusCommand; writes: RegisterWrite[] } {
  const chosen = resolveCommand(command, (c) => map.commands[c] !== undefined);
  if (!chosen) throw new Error(`register map has no writes for "${command}"`);
  return { command: chosen, writes: map.commands[chosen] as RegisterWrite[] };
}

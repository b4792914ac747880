/**
 * The message shapes hpwh-dispatch emits for the command in force: the command name with its
 * CTA-2045 signal (wires straight into cta2045-out or hpwh-modbus-out), SG-Ready relay states,
 * a set-point in the shape of Home Assistant's water_heater actions, or generic JSON for MQTT.
 */
import { COMMAND_SIGNAL, CommandName, resolveCommand } from './commands';
import type { DueCommand } from './runner';
import { PLAN_COMMANDS, PlanCommand, SG_READY_COMMAND, SG_READY_RELAYS, SgReadyState } from './sg-ready';

export type OutputShape = 'command' | 'sg-ready' | 'setpoint' | 'json';
export const OUTPUT_SHAPES: readonly OutputShape[] = ['command', 'sg-ready', 'setpoint', 'json'];

export type TemperatureUnit = 'C' | 'F';

/** Target temperature and, optionally, operation mode per command (Home Assistant water_heater). */
export interface SetpointConfig {
  entityId: string;
  unit: TemperatureUnit;
  temperatures: Partial<Record<PlanCommand, number>>;
  modes: Partial<Record<PlanCommand, string>>;
}

/** Home Assistant action message (water_heater.set_temperature / set_operation_mode). */
export interface HomeAssistantAction {
  action: 'water_heater.set_temperature' | 'water_heater.set_operation_mode';
  target: { entity_id: string };
  data: { temperature?: number; operation_mode?: string };
}

/** What every shape carries besides its payload. */
export interface DispatchMessage {
  topic: string;
  payload: unknown;
  command: CommandName;
  signal: number;
  /** ISO time the command holds until; null for open-ended. */
  until: string | null;
}

const TEMPERATURE_RANGE: Record<TemperatureUnit, [number, number]> = { C: [0, 100], F: [32, 212] };
const ENTITY_ID = /^water_heater\.[a-z0-9_]+$/;
const MODE = /^[a-z0-9_]+$/;

function planCommand(command: CommandName): PlanCommand {
  return resolveCommand(command, (c) => (PLAN_COMMANDS as readonly string[]).includes(c)) as PlanCommand;
}

/** Check a set-point configuration; errors name the field. */
export function parseSetpointConfig(input: {
  entityId?: unknown;
  unit?: unknown;
  temperatures?: Record<string, unknown>;
  modes?: Record<string, unknown>;
}): SetpointConfig {
  const entityId = String(input.entityId ?? '').trim();
  if (!ENTITY_ID.test(entityId))
    throw new Error(
      `entityId: must be a water_heater entity id such as water_heater.tank (got "${entityId}")`,
    );
  const unit = input.unit === 'F' ? 'F' : input.unit === 'C' || input.unit === undefined ? 'C' : null;
  if (!unit) throw new Error(`unit: must be "C" or "F" (got ${JSON.stringify(input.unit)})`);
  const [lo, hi] = TEMPERATURE_RANGE[unit];
  const out: SetpointConfig = { entityId, unit, temperatures: {}, modes: {} };
  for (const c of PLAN_COMMANDS) {
    const t = input.temperatures?.[c];
    if (t !== undefined && t !== null && t !== '') {
      const n = Number(t);
      if (!Number.isFinite(n) || n < lo || n > hi)
        throw new Error(
          `temperatures.${c}: must be a temperature in °${unit} between ${lo} and ${hi} (got ${String(t)})`,
        );
      out.temperatures[c] = n;
    }
    const m = input.modes?.[c];
    if (m !== undefined && m !== null && String(m).trim() !== '') {
      const mode = String(m).trim();
      if (!MODE.test(mode))
        throw new Error(
          `modes.${c}: must be a Home Assistant operation mode such as eco or heat_pump (got "${mode}")`,
        );
      out.modes[c] = mode;
    }
    if (out.temperatures[c] === undefined && out.modes[c] === undefined)
      throw new Error(`temperatures.${c}: give a target temperature or an operation mode for ${c}`);
  }
  return out;
}

/**
 * The Home Assistant action for a command: set_temperature (with the operation mode when one
 * is set) when the command has a temperature, set_operation_mode when it has only a mode.
 */
export function setpointAction(command: CommandName, config: SetpointConfig): HomeAssistantAction {
  const c = planCommand(command);
  const temperature = config.temperatures[c];
  const mode = config.modes[c];
  const target = { entity_id: config.entityId };
  if (temperature === undefined)
    return { action: 'water_heater.set_operation_mode', target, data: { operation_mode: mode } };
  const data: HomeAssistantAction['data'] = { temperature };
  if (mode !== undefined) data.operation_mode = mode;
  return { action: 'water_heater.set_temperature', target, data };
}

export interface ShapeInput {
  due: DueCommand;
  now: number;
  topic: string;
  /** SG-Ready: the state after the lock limits, and why it differs from the plan's, if it does. */
  sgReady?: { state: SgReadyState; wanted: SgReadyState; limited: 'max-lock' | 'min-release' | null };
  setpoint?: SetpointConfig;
}

/** Build the message of one shape for the command in force. */
export function shapeMessage(shape: OutputShape, input: ShapeInput): DispatchMessage {
  const { due, now } = input;
  const until = due.until === null ? null : new Date(due.until).toISOString();
  const base = { command: due.command, signal: COMMAND_SIGNAL[due.command], until };
  const durationSeconds = due.until === null ? undefined : Math.max(1, Math.ceil((due.until - now) / 1000));
  const timing = durationSeconds === undefined ? {} : { durationSeconds };
  switch (shape) {
    case 'sg-ready': {
      const sg = input.sgReady!;
      const [relay1, relay2] = SG_READY_RELAYS[sg.state];
      // `command` is what the state stands for, so hpwh-modbus-out can switch coils from it.
      const payload = { state: sg.state, relay1, relay2, command: SG_READY_COMMAND[sg.state], ...timing };
      // A limit overrode the plan: the command in force is what the state stands for.
      const inForce = sg.limited
        ? { command: SG_READY_COMMAND[sg.state], signal: COMMAND_SIGNAL[SG_READY_COMMAND[sg.state]] }
        : {};
      return {
        ...base,
        ...inForce,
        topic: input.topic || 'sg-ready',
        payload: sg.limited ? { ...payload, limited: sg.limited, planned: sg.wanted } : payload,
      };
    }
    case 'setpoint': {
      const action = setpointAction(due.command, input.setpoint!);
      return { ...base, topic: input.topic || action.action, payload: action };
    }
    case 'json':
      return {
        ...base,
        topic: input.topic || 'hpwh/command',
        payload: {
          command: due.command,
          signal: base.signal,
          until,
          source: due.source,
          at: new Date(now).toISOString(),
        },
      };
    default:
      return {
        ...base,
        topic: input.topic || 'command',
        payload: { command: due.command, signal: base.signal, ...timing },
      };
  }
}

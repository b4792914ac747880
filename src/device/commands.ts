/**
 * The device-command contract: the names every output node (CTA-2045, Modbus, hpwh-dispatch)
 * understands, the scheduler's signal → command map, and the reading of a single command from
 * a message. One home, so a new command or a changed mapping lands in every transport at once.
 */
import { MAX_COMMAND_SECONDS } from '../limits';

/** Every command a water heater can be given (CTA-2045 Basic DR words). */
export const COMMAND_NAMES = [
  'shed',
  'normal',
  'loadup',
  'advanced-loadup',
  'critical-peak',
  'grid-emergency',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Schedule signal (the schedulers' output contract) → command. */
export const SIGNAL_COMMAND: Readonly<Record<number, CommandName>> = Object.freeze({
  [-1]: 'shed',
  0: 'normal',
  1: 'loadup',
  2: 'advanced-loadup',
});

/** The signals a schedule interval may carry. */
export const SCHEDULE_SIGNALS: readonly number[] = [-1, 0, 1, 2];

/** Command → the CTA-2045 schedule signal it belongs to (stronger sheds count as shed). */
export const COMMAND_SIGNAL: Readonly<Record<CommandName, number>> = Object.freeze({
  shed: -1,
  normal: 0,
  loadup: 1,
  'advanced-loadup': 2,
  'critical-peak': -1,
  'grid-emergency': -1,
});

/**
 * What a command becomes on a device without it: Advanced Load Up is a stronger Load Up,
 * Critical Peak and Grid Emergency are stronger Sheds. A device without a stronger mode gets
 * the plain one rather than nothing.
 */
export const COMMAND_FALLBACK: Readonly<Partial<Record<CommandName, CommandName>>> = Object.freeze({
  'advanced-loadup': 'loadup',
  'critical-peak': 'shed',
  'grid-emergency': 'shed',
});

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && (COMMAND_NAMES as readonly string[]).includes(value);
}

/** Follow COMMAND_FALLBACK until `has` accepts a command; undefined when none does. */
export function resolveCommand(
  command: CommandName,
  has: (c: CommandName) => boolean,
): CommandName | undefined {
  let chosen: CommandName | undefined = command;
  while (chosen && !has(chosen)) chosen = COMMAND_FALLBACK[chosen];
  return chosen;
}

/** A single command given by a message (not a schedule). */
export interface SingleCommand {
  command: CommandName;
  /** Seconds it holds; what happens without one is the output node's rule. */
  durationSeconds?: number;
  /** Extra Wh for Advanced Load Up (optional). */
  extraWh?: number;
}

/** Check a single command's duration: a positive number of seconds, at most MAX_COMMAND_SECONDS. */
export function checkDurationSeconds(value: unknown, field = 'durationSeconds'): number {
  const d =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  if (!Number.isFinite(d) || d <= 0 || d > MAX_COMMAND_SECONDS)
    throw new Error(
      `${field} must be a positive number of seconds up to ${MAX_COMMAND_SECONDS} (366 days), got ${String(value)}`,
    );
  return d;
}

/** Turn msg.payload (a command name, or {command, durationSeconds?, extraWh?}) into a command. */
export function parseSingleCommand(payload: unknown): SingleCommand {
  if (typeof payload === 'string') {
    const command = payload.trim().toLowerCase();
    if (!isCommandName(command)) {
      throw new Error(`msg.payload "${payload}" is not a command: use ${COMMAND_NAMES.join(', ')}`);
    }
    return { command };
  }
  const obj = (payload ?? {}) as Record<string, unknown>;
  const command = String(obj.command ?? '').toLowerCase();
  if (!isCommandName(command)) {
    throw new Error(
      `msg.payload.command must be one of ${COMMAND_NAMES.join(', ')}, got "${String(obj.command)}"`,
    );
  }
  const out: SingleCommand = { command };
  if (obj.durationSeconds !== undefined)
    out.durationSeconds = checkDurationSeconds(obj.durationSeconds, 'msg.payload.durationSeconds');
  if (obj.extraWh !== undefined) {
    const e = Number(obj.extraWh);
    if (!Number.isFinite(e) || e <= 0) throw new Error(`msg.payload.extraWh must be a positive number`);
    out.extraWh = e;
  }
  return out;
}

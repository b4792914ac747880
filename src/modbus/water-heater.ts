/**
 * A water heater (or its controller) driven over Modbus: holds the command that should be in
 * force now, writes it at each schedule boundary, writes it again after every reconnect, polls
 * the state registers as telemetry, and reconnects on a timer.
 *
 * What is written is always computed from the wall clock at the moment of writing — a command
 * that could not be written while the link was down is never replayed later; the command in
 * force at reconnect time is.
 */
import { EventEmitter } from 'events';
import { defaultRegisterMap } from './default-map';
import {
  describeConnection,
  ModbusConnection,
  ModbusLink,
  modbusErrorText,
  StateReading,
  validateConnection,
} from './link';
import {
  ModbusCommand,
  parseRegisterMap,
  rawRegisterValue,
  RegisterMap,
  TelemetryField,
  writesFor,
} from './register-map';
import { CommandBlock } from './schedule';
import { COMMAND_NAMES, isCommandName, checkDurationSeconds } from '../device/commands';
import { parseSchedulePayload } from '../device/schedule';
import { ScheduleRunner } from '../device/runner';
import type { Telemetry } from '../device/telemetry';
import { realClock } from '../time/clock';
import { DEFAULT_LIMITS } from '../limits';

export interface ModbusWaterHeaterOptions {
  connection: ModbusConnection;
  /** Register map (object or JSON text); default: the EXAMPLE defaultRegisterMap. */
  map?: RegisterMap | string;
  /** Poll state registers this often; 0 = only on demand. Default 30 s. */
  pollIntervalMs?: number;
  /** Wait this long between connection attempts. Default 5 s. */
  reconnectIntervalMs?: number;
  /**
   * Write the command in force again this often inside long blocks (a controller may reboot or
   * be changed at its panel without the link dropping). Default 15 min; 0 = never.
   */
  reassertIntervalMs?: number;
  /** Clock, for tests and simulations. Default Date.now. */
  now?: () => number;
  /** Most intervals one schedule may have (DEFAULT_LIMITS.maxScheduleIntervals). */
  maxScheduleIntervals?: number;
}

export type ResultSource = 'command' | 'schedule' | 'reassert' | 'expired';

/** Output 2 of the node: what happened to one command. */
export interface CommandResult {
  time: string;
  /** The command asked for (by a message, a schedule block, or a re-assert). */
  command: ModbusCommand;
  /** The map entry actually written (differs when the map falls back, e.g. advanced-loadup → loadup). */
  applied: ModbusCommand;
  source: ResultSource;
  status: 'written' | 'failed';
  reason?: string;
  /** ISO time the command holds until (end of its block or duration); absent = until told otherwise. */
  until?: string;
  writes: Array<{
    kind: string;
    address: number;
    value: number | boolean;
    raw: number | boolean;
    label?: string;
  }>;
}

/** Output 1 of the node: the device telemetry contract plus the registers read. */
export interface ModbusTelemetry extends Telemetry {
  operatingState: string;
  customerOverride: boolean;
  device: {
    protocol: 'modbus';
    connection: string;
    description?: string;
    commandedMode: ModbusCommand | null;
    registers: Record<string, Omit<StateReading, 'name'>>;
  };
}

/** The command in force and where it came from. */
export interface DesiredMode {
  command: ModbusCommand;
  until?: number;
  origin: 'command' | 'schedule';
}

const LONGEST_TIMER_MS = 60 * 60 * 1000;

export class ModbusWaterHeater extends EventEmitter {
  readonly map: RegisterMap;
  readonly connection: ModbusConnection;
  private readonly pollIntervalMs: number;
  private readonly reconnectIntervalMs: number;
  private readonly reassertIntervalMs: number;
  private readonly now: () => number;
  private readonly maxScheduleIntervals: number;
  private link: ModbusLink | undefined;
  private up = false;
  private stopped = true;
  private lastLinkError: string | undefined;
  /** Schedule and single command, and the boundary timer (shared with the other outputs). */
  private readonly runner: ScheduleRunner;
  /** A schedule is being followed (even an empty one): gaps and its end mean normal. */
  private following = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private reassertTimer: NodeJS.Timeout | undefined;
  /** Bus exchanges (writes and polls) go one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ModbusWaterHeaterOptions) {
    super();
    const errors = validateConnection(options.connection);
    if (errors.length) throw new Error(`invalid Modbus connection: ${errors.join('; ')}`);
    this.connection = options.connection;
    this.map = options.map === undefined ? defaultRegisterMap : parseRegisterMap(options.map);
    this.pollIntervalMs = options.pollIntervalMs ?? 30000;
    this.reconnectIntervalMs = options.reconnectIntervalMs ?? 5000;
    this.reassertIntervalMs = options.reassertIntervalMs ?? 15 * 60 * 1000;
    const now = options.now ?? Date.now;
    this.now = now;
    // Only where the command changes is a boundary: a 3-hour shed is one write.
    this.runner = new ScheduleRunner(
      () => {
        if (!this.stopped) this.onBoundary();
      },
      {
        clock: { now, setTimeout: realClock.setTimeout, clearTimeout: realClock.clearTimeout },
        boundaries: 'block',
        maxWaitMs: LONGEST_TIMER_MS,
      },
    );
    this.maxScheduleIntervals = options.maxScheduleIntervals ?? DEFAULT_LIMITS.maxScheduleIntervals;
  }

  get linkUp(): boolean {
    return this.up;
  }

  /** Why the link is down (last connection error), when it is. */
  get linkError(): string | undefined {
    return this.up ? undefined : this.lastLinkError;
  }

  /** The command that should be in force now, if any. */
  desired(): DesiredMode | undefined {
    const due = this.runner.due(this.now());
    if (due.source === 'none') return undefined;
    const mode: DesiredMode = {
      command: due.command,
      origin: due.source === 'manual' ? 'command' : 'schedule',
    };
    if (due.until !== null) mode.until = due.until;
    return mode;
  }

  /** Start connecting (returns at once; 'link' events tell the outcome). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.runner.disarm();
    for (const t of [this.reconnectTimer, this.pollTimer, this.reassertTimer]) if (t) clearTimeout(t);
    this.reconnectTimer = this.pollTimer = this.reassertTimer = undefined;
    const link = this.link;
    this.link = undefined;
    this.up = false;
    if (link) {
      link.removeAllListeners('down');
      await link.close();
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const link = new ModbusLink(this.connection);
    this.link = link;
    try {
      await link.open();
    } catch (err) {
      await link.close();
      if (this.link === link) this.link = undefined;
      this.lastLinkError = modbusErrorText(err);
      this.emit('link', { up: false, reason: this.lastLinkError });
      this.scheduleReconnect();
      return;
    }
    if (this.stopped || this.link !== link) {
      await link.close();
      return;
    }
    link.on('down', (reason: string) => this.onDown(link, reason));
    this.up = true;
    this.lastLinkError = undefined;
    this.emit('link', { up: true });
    // Whatever should be in force now is written again: the controller may have rebooted or
    // been changed by hand while we were away.
    const mode = this.desired();
    if (mode) this.background(this.enqueueWrite(mode.command, 'reassert', mode.until));
    this.schedulePoll(0);
    this.scheduleReassert();
  }

  private onDown(link: ModbusLink, reason: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.up = false;
    this.lastLinkError = reason;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.reassertTimer) clearTimeout(this.reassertTimer);
    this.pollTimer = this.reassertTimer = undefined;
    void link.close();
    this.emit('link', { up: false, reason });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.reconnectIntervalMs);
  }

  /** Re-assert every reassertIntervalMs; the clock restarts at each write of a new command. */
  private scheduleReassert(): void {
    if (this.reassertTimer) clearTimeout(this.reassertTimer);
    this.reassertTimer = undefined;
    if (this.stopped || this.reassertIntervalMs <= 0) return;
    this.reassertTimer = setTimeout(() => {
      this.reassertTimer = undefined;
      const mode = this.desired();
      if (this.up && mode) this.background(this.enqueueWrite(mode.command, 'reassert', mode.until));
      this.scheduleReassert();
    }, this.reassertIntervalMs);
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped || this.pollIntervalMs <= 0) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      if (!this.up) return;
      // The next poll is timed from the end of this one, so a slow bus never stacks polls up.
      this.poll()
        .then(
          (t) => this.emit('telemetry', t),
          (err: unknown) => this.emit('warning', new Error(`poll failed: ${modbusErrorText(err)}`)),
        )
        .finally(() => this.schedulePoll(this.pollIntervalMs));
    }, delayMs);
  }

  /**
   * Put a single command in force (replacing any schedule). With `durationSeconds` the
   * controller goes back to normal when it runs out.
   */
  command(command: string, durationSeconds?: number): Promise<CommandResult> {
    if (!isCommandName(command))
      throw new Error(`command: must be one of ${COMMAND_NAMES.join(', ')} (got ${JSON.stringify(command)})`);
    // A number, not text: the editor and the messages give numbers (the field name leads the error).
    if (durationSeconds !== undefined)
      checkDurationSeconds(typeof durationSeconds === 'number' ? durationSeconds : NaN, 'durationSeconds:');
    const cmd = command;
    const until = durationSeconds === undefined ? undefined : this.now() + durationSeconds * 1000;
    this.following = false;
    this.runner.setSchedule([]);
    this.runner.manual = { command: cmd, until: until ?? null };
    this.armBoundary();
    this.emit('mode', this.desired());
    return this.enqueueWrite(cmd, 'command', until);
  }

  /**
   * Follow a schedule: write the block in force now and every later boundary. When no block is
   * in force yet (the schedule starts later, or is empty) Normal is written now: whatever an
   * earlier command or schedule left on the controller must not linger until the first block.
   */
  followSchedule(schedule: unknown): Promise<CommandResult> {
    const intervals = parseSchedulePayload(schedule, this.maxScheduleIntervals);
    this.runner.manual = null;
    this.runner.setSchedule(intervals);
    this.following = true;
    this.armBoundary();
    const mode = this.desired();
    this.emit('mode', mode);
    return mode
      ? this.enqueueWrite(mode.command, 'schedule', mode.until)
      : this.enqueueWrite('normal', 'schedule', intervals.find((b) => b.start > this.now())?.start);
  }

  /** Blocks of the schedule being followed (empty when none). */
  scheduleBlocks(): CommandBlock[] {
    return this.runner
      .scheduleBlocks()
      .map(({ command, signal, start, end }) => ({ command, signal, start, end }));
  }

  private armBoundary(): void {
    if (this.stopped) this.runner.disarm();
    else this.runner.arm();
  }

  private onBoundary(): void {
    const now = this.now();
    const before = this.runner.manual;
    const expired = before !== null && before.until !== null && now >= before.until;
    const mode = this.desired();
    this.armBoundary();
    if (expired) {
      // A timed single command ran out: back to normal, and nothing more to follow.
      this.runner.manual = null;
      this.emit('mode', undefined);
      this.background(this.enqueueWrite('normal', 'expired'));
      return;
    }
    if (mode) {
      this.emit('mode', mode);
      this.background(this.enqueueWrite(mode.command, 'schedule', mode.until));
    } else if (this.following) {
      // In a gap or past the end of the schedule: leave the controller in normal operation.
      this.emit('mode', undefined);
      this.background(this.enqueueWrite('normal', 'expired'));
    }
  }

  /** A write nobody awaits: its failure is reported as a 'warning', never an unhandled rejection. */
  private background(p: Promise<unknown>): void {
    p.catch((err: unknown) => this.emit('warning', new Error(`write failed: ${modbusErrorText(err)}`)));
  }

  /**
   * Run one bus exchange at a time. Modbus RTU has no transaction ids: two requests in flight
   * on one serial line would get each other's answers. Writes and polls share this queue.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private enqueueWrite(command: ModbusCommand, source: ResultSource, until?: number): Promise<CommandResult> {
    if (source !== 'reassert' && this.up) this.scheduleReassert();
    const run = this.exclusive(() => this.writeCommand(command, source, until));
    return run.then((result) => {
      this.emit('result', result);
      return result;
    });
  }

  private async writeCommand(
    command: ModbusCommand,
    source: ResultSource,
    until?: number,
  ): Promise<CommandResult> {
    const { command: applied, writes } = writesFor(this.map, command);
    const result: CommandResult = {
      time: new Date(this.now()).toISOString(),
      command,
      applied,
      source,
      status: 'written',
      ...(until !== undefined ? { until: new Date(until).toISOString() } : {}),
      writes: writes.map((w) => ({
        kind: w.kind,
        address: w.address,
        value: w.value,
        raw:
          w.kind === 'coil'
            ? w.value === true
            : (rawRegisterValue(w.value as number, w.scale, w.signed) as number),
        ...(w.label ? { label: w.label } : {}),
      })),
    };
    const link = this.link;
    if (!link || !this.up || !link.isOpen) {
      return {
        ...result,
        status: 'failed',
        reason: `link down (${this.lastLinkError ?? 'not connected'}); will write the command in force on reconnect`,
      };
    }
    for (const w of writes) {
      try {
        await link.write(w);
      } catch (err) {
        const at = `${w.kind} ${w.address}${w.label ? ` (${w.label})` : ''}`;
        return { ...result, status: 'failed', reason: `write to ${at} failed: ${modbusErrorText(err)}` };
      }
    }
    return result;
  }

  /** Read every state register once and build the telemetry message. */
  poll(): Promise<ModbusTelemetry> {
    return this.exclusive(() => this.readTelemetry());
  }

  private async readTelemetry(): Promise<ModbusTelemetry> {
    const link = this.link;
    if (!link || !this.up) throw new Error(`link down (${this.lastLinkError ?? 'not connected'})`);
    const registers: ModbusTelemetry['device']['registers'] = {};
    const byField: Partial<Record<TelemetryField, StateReading>> = {};
    const readings = await link.readAll(this.map.state);
    this.map.state.forEach((s, i) => {
      const { name: _name, ...rest } = readings[i];
      registers[s.name] = rest;
      if (s.telemetry) byField[s.telemetry] = readings[i];
    });
    const num = (f: TelemetryField): number | null => {
      const v = byField[f]?.value;
      return typeof v === 'number' ? v : null;
    };
    const state = byField.operatingState?.value;
    const override = byField.customerOverride?.value;
    return {
      time: new Date(this.now()).toISOString(),
      operatingState: typeof state === 'string' ? state : 'Unknown',
      energyTakeWh: num('energyTakeWh'),
      energyStoredWh: num('energyStoredWh'),
      capacityWh: num('capacityWh'),
      powerW: num('powerW'),
      customerOverride: override === true || (typeof override === 'number' && override !== 0),
      device: {
        protocol: 'modbus',
        connection: describeConnection(this.connection),
        ...(this.map.description ? { description: this.map.description } : {}),
        commandedMode: this.desired()?.command ?? null,
        registers,
      },
    };
  }
}

/** Create (not yet started) a Modbus water heater; call `start()` to connect. */
export function createModbusWaterHeater(options: ModbusWaterHeaterOptions): ModbusWaterHeater {
  return new ModbusWaterHeater(options);
}

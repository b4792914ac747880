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
  MODBUS_COMMANDS,
  ModbusCommand,
  parseRegisterMap,
  rawRegisterValue,
  RegisterMap,
  TelemetryField,
  writesFor,
} from './register-map';
import { blockAt, CommandBlock, nextBoundary, scheduleBlocks } from './schedule';

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

/** Output 1 of the node (HELPERS.md telemetry contract). */
export interface ModbusTelemetry {
  time: string;
  operatingState: string;
  energyTakeWh: number | null;
  energyStoredWh: number | null;
  capacityWh: number | null;
  powerW: number | null;
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
  private link: ModbusLink | undefined;
  private up = false;
  private stopped = true;
  private lastLinkError: string | undefined;
  private blocks: CommandBlock[] | undefined;
  private single: DesiredMode | undefined;
  private boundaryTimer: NodeJS.Timeout | undefined;
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
    this.now = options.now ?? Date.now;
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
    const now = this.now();
    if (this.single) {
      if (this.single.until === undefined || now < this.single.until) return this.single;
      return undefined;
    }
    if (this.blocks) {
      const block = blockAt(this.blocks, now);
      return block ? { command: block.command, until: block.end, origin: 'schedule' } : undefined;
    }
    return undefined;
  }

  /** Start connecting (returns at once; 'link' events tell the outcome). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.boundaryTimer, this.reconnectTimer, this.pollTimer, this.reassertTimer])
      if (t) clearTimeout(t);
    this.boundaryTimer = this.reconnectTimer = this.pollTimer = this.reassertTimer = undefined;
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
    if (!(MODBUS_COMMANDS as readonly string[]).includes(command))
      throw new Error(
        `command: must be one of ${MODBUS_COMMANDS.join(', ')} (got ${JSON.stringify(command)})`,
      );
    if (durationSeconds !== undefined && !(typeof durationSeconds === 'number' && durationSeconds > 0))
      throw new Error(`durationSeconds: must be a positive number (got ${JSON.stringify(durationSeconds)})`);
    const cmd = command as ModbusCommand;
    const until = durationSeconds === undefined ? undefined : this.now() + durationSeconds * 1000;
    this.blocks = undefined;
    this.single = { command: cmd, until, origin: 'command' };
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
    const blocks = scheduleBlocks(schedule);
    this.single = undefined;
    this.blocks = blocks;
    this.armBoundary();
    const mode = this.desired();
    this.emit('mode', mode);
    return mode
      ? this.enqueueWrite(mode.command, 'schedule', mode.until)
      : this.enqueueWrite('normal', 'schedule', blocks.find((b) => b.start > this.now())?.start);
  }

  /** Blocks of the schedule being followed (empty when none). */
  scheduleBlocks(): CommandBlock[] {
    return this.blocks ? [...this.blocks] : [];
  }

  private armBoundary(): void {
    if (this.boundaryTimer) clearTimeout(this.boundaryTimer);
    this.boundaryTimer = undefined;
    const now = this.now();
    let next: number | undefined;
    if (this.single?.until !== undefined && this.single.until > now) next = this.single.until;
    else if (this.blocks) next = nextBoundary(this.blocks, now);
    if (next === undefined || this.stopped) return;
    const wait = Math.min(Math.max(0, next - now), LONGEST_TIMER_MS);
    const boundary = next;
    this.boundaryTimer = setTimeout(() => {
      this.boundaryTimer = undefined;
      // Timers may fire a millisecond before the wall clock reaches the boundary, and long
      // waits are cut into hours: until the boundary is really here, just wait again.
      if (this.now() < boundary) this.armBoundary();
      else this.onBoundary();
    }, wait);
  }

  private onBoundary(): void {
    const now = this.now();
    const before = this.single;
    const expired = before?.until !== undefined && now >= before.until;
    const mode = this.desired();
    this.armBoundary();
    if (expired) {
      // A timed single command ran out: back to normal, and nothing more to follow.
      this.single = undefined;
      this.emit('mode', undefined);
      this.background(this.enqueueWrite('normal', 'expired'));
      return;
    }
    if (mode) {
      this.emit('mode', mode);
      this.background(this.enqueueWrite(mode.command, 'schedule', mode.until));
    } else if (this.blocks) {
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

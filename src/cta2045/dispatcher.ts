/**
 * Schedule dispatcher (docs/cta2045.md section 5). Basic DR has no schedule message, so the UCM
 * runs the schedule: at each boundary it sends the command for the block that starts (Shed /
 * Load Up with the remaining block duration rounded up, End Shed for Normal, Advanced Load Up
 * with minutes and extra Wh, falling back to Load Up), and re-asserts the current command after
 * a reconnect, an SGD reboot and every ~15 min inside long blocks. Outside-communication FOUND
 * goes out every 60 s and before each command; LOST when upstream is lost; End Shed then LOST
 * on shutdown. It polls operational state and commodity read and reports telemetry.
 *
 * What to send is computed when it is sent, from the schedule and the clock: a command that
 * could not go out while the link was down is never replayed later, the present one is sent.
 */
import { EventEmitter } from 'events';
import { Clock, realClock, TimerHandle } from './clock';
import { Cta2045Connection } from './connection';
import { CommandResult, Cta2045Ucm } from './ucm';

export type CommandName =
  'shed' | 'normal' | 'loadup' | 'advanced-loadup' | 'critical-peak' | 'grid-emergency';

export const COMMAND_NAMES: readonly CommandName[] = [
  'shed',
  'normal',
  'loadup',
  'advanced-loadup',
  'critical-peak',
  'grid-emergency',
];

export interface ScheduleInterval {
  start: string | number | Date;
  end: string | number | Date;
  /** -1 Shed, 0 Normal, 1 Load Up, 2 Advanced Load Up. */
  signal: number;
  /** Extra Wh for Advanced Load Up (optional). */
  extraWh?: number;
}

interface Block {
  start: number;
  end: number;
  signal: number;
  extraWh?: number;
}

export interface SingleCommand {
  command: CommandName;
  /** Default: until the next schedule boundary, or 1 h without a schedule. */
  durationSeconds?: number;
  extraWh?: number;
}

export interface DesiredCommand {
  command: CommandName;
  /** Epoch ms (schedule clock) when the block ends, null for open-ended Normal. */
  until: number | null;
  extraWh?: number;
  source: 'schedule' | 'manual' | 'none';
}

/** Operational states (codes) expected after each command ([PSU-CT]). */
export const EXPECTED_STATES: Record<CommandName, readonly number[]> = {
  normal: [0, 1],
  shed: [2, 4],
  'critical-peak': [2, 4],
  'grid-emergency': [2, 4],
  loadup: [3, 6],
  'advanced-loadup': [3, 6],
};

export interface Telemetry {
  time: string;
  operatingState: string | null;
  operatingStateCode: number | null;
  energyTakeWh: number | null;
  energyStoredWh: number | null;
  capacityWh: number | null;
  powerW: number | null;
  customerOverride: boolean;
  /** Current command and whether the appliance's state matches what it should be. */
  mode: CommandName | null;
  expectedStateMatches: boolean | null;
  device: Record<string, unknown>;
}

export interface DispatchRecord extends CommandResult {
  /** Why it was sent: 'boundary', 'schedule', 'refresh', 'reconnect', 'sgd-restart', 'manual', ... */
  trigger: string;
  at: string;
  /** The command that was wanted, if a fallback was sent instead (ALU -> Load Up). */
  requested?: CommandName;
}

export interface DispatcherOptions {
  /** Schedule clock (scaled in tests and demos): boundaries and the re-assert period. */
  clock?: Clock;
  /** Link clock (real by default): heartbeat, polling and verification periods. */
  linkClock?: Clock;
  /** Outside-communication FOUND period, link-clock seconds (60). */
  heartbeatSeconds?: number;
  /** Re-assert period inside long blocks, schedule-clock seconds (900). */
  refreshSeconds?: number;
  /** Operational state + commodity poll period, link-clock seconds (60). */
  pollSeconds?: number;
  /** Check the operational state this long after each command, link-clock seconds (15). */
  verifyDelaySeconds?: number;
  /** Commodity code 7 means energy take (default) or energy stored on this appliance. */
  commodity7?: 'take' | 'stored';
  /** Extra Wh for Advanced Load Up when the schedule gives none and the SGD reports no ALU capacity. */
  defaultAluExtraWh?: number;
}

function toMs(value: string | number | Date, field: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new Error(`schedule interval ${field} is not a valid time: ${String(value)}`);
  return ms;
}

/** Validate and sort schedule intervals; throws an error naming the bad field. */
export function parseSchedule(intervals: unknown): Block[] {
  if (!Array.isArray(intervals)) throw new Error('schedule.intervals must be an array');
  const blocks = intervals.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null)
      throw new Error(`schedule.intervals[${i}] must be an object`);
    const it = raw as Partial<ScheduleInterval>;
    if (it.start === undefined) throw new Error(`schedule.intervals[${i}].start is missing`);
    if (it.end === undefined) throw new Error(`schedule.intervals[${i}].end is missing`);
    const start = toMs(it.start, `[${i}].start`);
    const end = toMs(it.end, `[${i}].end`);
    if (end <= start) throw new Error(`schedule.intervals[${i}] ends before it starts`);
    const signal = Number(it.signal);
    if (![-1, 0, 1, 2].includes(signal)) {
      throw new Error(`schedule.intervals[${i}].signal must be -1, 0, 1 or 2, got ${String(it.signal)}`);
    }
    const block: Block = { start, end, signal };
    if (it.extraWh !== undefined) block.extraWh = Number(it.extraWh);
    return block;
  });
  return blocks.sort((a, b) => a.start - b.start);
}

const SIGNAL_COMMAND: Record<number, CommandName> = {
  [-1]: 'shed',
  0: 'normal',
  1: 'loadup',
  2: 'advanced-loadup',
};

/**
 * Events: 'command' (DispatchRecord), 'telemetry' (Telemetry), 'status' (DesiredCommand | null,
 * link up), 'mismatch' ({expected, state}).
 */
export class ScheduleDispatcher extends EventEmitter {
  private blocks: Block[] = [];
  private manual: { command: CommandName; until: number; extraWh?: number } | null = null;
  private readonly clock: Clock;
  private readonly linkClock: Clock;
  private readonly opts: Required<Omit<DispatcherOptions, 'clock' | 'linkClock'>>;
  private timers: Record<string, TimerHandle | null> = {};
  private chain: Promise<unknown> = Promise.resolve();
  private running = false;
  private upstreamOnline = true;
  private aluRejected = false;
  private mismatchReasserted = false;
  /** The last command the SGD acknowledged (what it should be doing now). */
  active: (DesiredCommand & { sentAt: number }) | null = null;
  customerOverride = false;
  lastTelemetry: Telemetry | null = null;
  private lastAluCapacityWh: number | null = null;
  private lastCapacityWh: number | null = null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly subscriptions: Array<[string, (...args: any[]) => void]> = [];

  constructor(
    readonly connection: Cta2045Connection,
    options: DispatcherOptions = {},
  ) {
    super();
    this.clock = options.clock ?? realClock;
    this.linkClock = options.linkClock ?? realClock;
    this.opts = {
      heartbeatSeconds: options.heartbeatSeconds ?? 60,
      refreshSeconds: options.refreshSeconds ?? 900,
      pollSeconds: options.pollSeconds ?? 60,
      verifyDelaySeconds: options.verifyDelaySeconds ?? 15,
      commodity7: options.commodity7 ?? 'take',
      defaultAluExtraWh: options.defaultAluExtraWh ?? 2000,
    };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private listen(event: string, fn: (...args: any[]) => void): void {
    this.connection.on(event, fn);
    this.subscriptions.push([event, fn]);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.listen('up', () => {
      this.aluRejected = false;
      this.enqueue('reconnect');
      this.armHeartbeat();
      this.armPoll(1000);
    });
    this.listen('down', () => this.emitStatus());
    this.listen('sgd-restart', () => this.enqueue('sgd-restart'));
    this.listen('customer-override', (on: boolean) => {
      this.customerOverride = on;
    });
    if (this.connection.isUp) {
      this.enqueue('start');
      this.armHeartbeat();
      this.armPoll(1000);
    }
  }

  /** Heartbeat, polling and verification are link matters: real time even when the schedule is scaled. */
  private clockFor(name: string): Clock {
    return name === 'heartbeat' || name === 'poll' || name === 'verify' ? this.linkClock : this.clock;
  }

  private set(name: string, ms: number, fn: () => void): void {
    this.clockFor(name).clearTimeout(this.timers[name]);
    this.timers[name] = this.clockFor(name).setTimeout(
      () => {
        this.timers[name] = null;
        if (this.running) fn();
      },
      Math.max(0, ms),
    );
  }

  private clear(name: string): void {
    this.clockFor(name).clearTimeout(this.timers[name]);
    this.timers[name] = null;
  }

  /** Replace the schedule; the present block's command goes out now. */
  setSchedule(intervals: unknown): void {
    this.blocks = parseSchedule(intervals);
    this.manual = null;
    this.enqueue('schedule');
  }

  /** A single command; the schedule (if any) resumes when it ends. */
  command(cmd: SingleCommand): Promise<DispatchRecord | null> {
    if (!COMMAND_NAMES.includes(cmd.command)) {
      throw new Error(`command must be one of ${COMMAND_NAMES.join(', ')}, got ${String(cmd.command)}`);
    }
    const now = this.clock.now();
    let seconds = cmd.durationSeconds;
    if (seconds !== undefined && (!Number.isFinite(seconds) || seconds <= 0)) {
      throw new Error(`durationSeconds must be a positive number, got ${String(cmd.durationSeconds)}`);
    }
    if (seconds === undefined) {
      const next = this.nextBoundary(now);
      seconds = next !== null ? (next - now) / 1000 : 3600;
    }
    const previous = this.manual;
    const manual = { command: cmd.command, until: now + seconds * 1000, extraWh: cmd.extraWh };
    this.manual = manual;
    return this.enqueue('manual').then((record) => {
      // A command that could not be sent has no effect: the caller is told it failed, so it
      // must not come back into force by itself when the link returns.
      if ((!record || record.outcome === 'link-down') && this.manual === manual) this.manual = previous;
      return record;
    });
  }

  /** Upstream (OpenADR/VTN) connectivity: LOST tells the SGD to stop trusting its event. */
  setUpstream(online: boolean): void {
    if (online === this.upstreamOnline) return;
    this.upstreamOnline = online;
    this.chain = this.chain.then(() => this.sendCommStatus(online ? 1 : 0));
  }

  /** What should be in force at `at` (schedule clock ms). */
  desired(at = this.clock.now()): DesiredCommand {
    if (this.manual && this.manual.until > at) {
      return {
        command: this.manual.command,
        until: this.manual.until,
        extraWh: this.manual.extraWh,
        source: 'manual',
      };
    }
    const i = this.blocks.findIndex((b) => b.start <= at && at < b.end);
    if (i < 0) return { command: 'normal', until: this.nextBoundary(at), source: 'none' };
    const block = this.blocks[i];
    let end = block.end;
    // A run of consecutive intervals with the same signal is one block.
    for (let j = i + 1; j < this.blocks.length; j++) {
      const b = this.blocks[j];
      if (b.signal !== block.signal || b.start > end + 1000) break;
      end = Math.max(end, b.end);
    }
    return { command: SIGNAL_COMMAND[block.signal], until: end, extraWh: block.extraWh, source: 'schedule' };
  }

  private nextBoundary(at: number): number | null {
    let next: number | null = null;
    for (const b of this.blocks) {
      for (const t of [b.start, b.end]) if (t > at && (next === null || t < next)) next = t;
    }
    if (this.manual && this.manual.until > at && (next === null || this.manual.until < next))
      next = this.manual.until;
    return next;
  }

  private enqueue(trigger: string): Promise<DispatchRecord | null> {
    const run = this.chain.then(() => this.assertNow(trigger));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private ucm(): Cta2045Ucm | null {
    return this.connection.isUp ? this.connection.ucm : null;
  }

  private async sendCommStatus(status: 0 | 1): Promise<CommandResult | null> {
    const ucm = this.ucm();
    if (!ucm) return null;
    return ucm.outsideComm(status);
  }

  /** Send what should be in force now (computed now, never a queued stale command). */
  private async assertNow(trigger: string): Promise<DispatchRecord | null> {
    if (!this.running) return null;
    const now = this.clock.now();
    const want = this.desired(now);
    this.armBoundary(now);
    const ucm = this.ucm();
    if (!ucm) {
      this.emitStatus();
      return null;
    }
    // Nothing scheduled and nothing active: no need to tell the heater to run normally.
    if (
      want.source === 'none' &&
      (!this.active || this.active.command === 'normal') &&
      trigger !== 'manual'
    ) {
      this.emitStatus();
      return null;
    }
    if (this.upstreamOnline) await ucm.outsideComm(1);
    else await ucm.outsideComm(0);
    const remaining = want.until !== null ? Math.max(1, (want.until - this.clock.now()) / 1000) : 0;
    let result: CommandResult;
    let requested: CommandName | undefined;
    switch (want.command) {
      case 'shed':
        result = await ucm.shed(remaining);
        break;
      case 'critical-peak':
        result = await ucm.criticalPeak(remaining);
        break;
      case 'grid-emergency':
        result = await ucm.gridEmergency(remaining);
        break;
      case 'loadup':
        result = await ucm.loadUp(remaining);
        break;
      case 'advanced-loadup':
        if (!this.aluRejected && this.connection.handshake?.advancedLoadUpSupported) {
          result = await ucm.advancedLoadUp(Math.ceil(remaining / 60), this.aluExtraWh(want));
          if (result.outcome === 'acked' || result.outcome === 'link-down') break;
          // The heater refused or ignored ALU: remember it and use Basic Load Up instead.
          this.aluRejected = true;
        }
        requested = 'advanced-loadup';
        result = await ucm.loadUp(remaining);
        break;
      default:
        result = await ucm.endShed();
    }
    const record: DispatchRecord = { ...result, trigger, at: new Date(now).toISOString() };
    if (requested) record.requested = requested;
    if (result.outcome === 'acked') {
      if (trigger !== 'state-mismatch') this.mismatchReasserted = false;
      this.active = { ...want, sentAt: now };
      this.armRefresh();
      this.set('verify', this.opts.verifyDelaySeconds * 1000, () => void this.poll('verify'));
    }
    this.emit('command', record);
    this.emitStatus();
    return record;
  }

  private aluExtraWh(want: DesiredCommand): number {
    if (want.extraWh && want.extraWh > 0) return want.extraWh;
    if (this.lastAluCapacityWh !== null && this.lastCapacityWh !== null) {
      const headroom = this.lastAluCapacityWh - this.lastCapacityWh;
      if (headroom > 0) return headroom;
    }
    return this.opts.defaultAluExtraWh;
  }

  private armBoundary(now: number): void {
    const next = this.nextBoundary(now);
    if (next === null) this.clear('boundary');
    else this.set('boundary', next - now, () => void this.enqueue('boundary'));
  }

  private armRefresh(): void {
    this.set('refresh', this.opts.refreshSeconds * 1000, () => {
      if (this.active && this.active.command !== 'normal') void this.enqueue('refresh');
      else this.armRefresh();
    });
  }

  private armHeartbeat(): void {
    this.set('heartbeat', this.opts.heartbeatSeconds * 1000, () => {
      this.chain = this.chain.then(() => (this.upstreamOnline ? this.sendCommStatus(1) : null));
      this.armHeartbeat();
    });
  }

  private armPoll(ms = this.opts.pollSeconds * 1000): void {
    this.set('poll', ms, () => {
      void this.poll('poll');
      this.armPoll();
    });
  }

  /** Read operational state and commodity, compare with the expected state, emit telemetry. */
  poll(why: string): Promise<Telemetry | null> {
    const run = this.chain.then(async () => {
      const ucm = this.ucm();
      if (!ucm || !this.running) return null;
      const state = await ucm.queryOperationalState();
      const commodity = await ucm.commodityRead();
      const capacity = commodity?.capacityWh ?? null;
      const present = commodity?.presentWh ?? null;
      let take: number | null = null;
      let stored: number | null = null;
      if (present !== null) {
        if (this.opts.commodity7 === 'take') {
          take = present;
          stored = capacity !== null ? Math.max(0, capacity - present) : null;
        } else {
          stored = present;
          take = capacity !== null ? Math.max(0, capacity - present) : null;
        }
      }
      if (capacity !== null) this.lastCapacityWh = capacity;
      const aluCap = commodity?.records.find((r) => r.code === 10)?.cumulative;
      if (aluCap !== undefined) this.lastAluCapacityWh = aluCap;
      if (state && (state.code === 11 || state.code === 12)) this.customerOverride = true;
      else if (state) this.customerOverride = false;
      const mode = this.active?.command ?? null;
      const matches = state && mode ? EXPECTED_STATES[mode].includes(state.code) : null;
      const info = this.connection.handshake?.deviceInfo;
      const telemetry: Telemetry = {
        time: new Date(this.clock.now()).toISOString(),
        operatingState: state?.name ?? null,
        operatingStateCode: state?.code ?? null,
        energyTakeWh: round(take),
        energyStoredWh: round(stored),
        capacityWh: round(capacity),
        powerW: commodity?.powerW ?? null,
        customerOverride: this.customerOverride,
        mode,
        expectedStateMatches: matches,
        device: {
          model: info?.model ?? null,
          serial: info?.serial ?? null,
          deviceType: info?.deviceType ?? null,
          vendorId: info?.vendorId ?? null,
          firmware: info?.firmwareVersion ?? null,
          ctaVersion: info?.ctaVersion ?? null,
          advancedLoadUp: this.connection.handshake?.advancedLoadUpSupported ?? null,
          link: this.connection.description,
        },
      };
      this.lastTelemetry = telemetry;
      this.emit('telemetry', telemetry, why);
      if (matches === false && !this.customerOverride) {
        this.emit('mismatch', { expected: EXPECTED_STATES[mode!], state });
        // The heater forgot its command (a silent reboot?): say it once more. Only once per
        // command, so a heater that disagrees on purpose is not nagged in a loop.
        if (!this.mismatchReasserted) {
          this.mismatchReasserted = true;
          void this.enqueue('state-mismatch');
        }
      }
      return telemetry;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private emitStatus(): void {
    this.emit('status', this.active, this.connection.isUp);
  }

  /** Stop: End Shed then LOST while the link is still up, then no more timers. */
  async stop(): Promise<void> {
    if (!this.running) return;
    for (const name of Object.keys(this.timers)) this.clear(name);
    await this.chain.catch(() => undefined);
    this.running = false;
    // The last queued step may have armed a timer: clear again now nothing can re-arm.
    for (const name of Object.keys(this.timers)) this.clear(name);
    for (const [event, fn] of this.subscriptions.splice(0)) this.connection.off(event, fn);
    const ucm = this.ucm();
    if (ucm) {
      await ucm.endShed();
      await ucm.outsideComm(0);
    }
    this.active = null;
  }
}

function round(v: number | null): number | null {
  return v === null ? null : Math.round(v);
}

/** Turn msg.payload into a single command, or explain what is wrong with it. */
export function parseSingleCommand(payload: unknown): SingleCommand {
  if (typeof payload === 'string') {
    const command = payload.trim().toLowerCase() as CommandName;
    if (!COMMAND_NAMES.includes(command)) {
      throw new Error(`msg.payload "${payload}" is not a command: use ${COMMAND_NAMES.join(', ')}`);
    }
    return { command };
  }
  const obj = payload as Record<string, unknown>;
  const command = String(obj.command ?? '').toLowerCase() as CommandName;
  if (!COMMAND_NAMES.includes(command)) {
    throw new Error(
      `msg.payload.command must be one of ${COMMAND_NAMES.join(', ')}, got "${String(obj.command)}"`,
    );
  }
  const out: SingleCommand = { command };
  if (obj.durationSeconds !== undefined) {
    const d = Number(obj.durationSeconds);
    if (!Number.isFinite(d) || d <= 0)
      throw new Error(`msg.payload.durationSeconds must be a positive number`);
    out.durationSeconds = d;
  }
  if (obj.extraWh !== undefined) {
    const e = Number(obj.extraWh);
    if (!Number.isFinite(e) || e <= 0) throw new Error(`msg.payload.extraWh must be a positive number`);
    out.extraWh = e;
  }
  return out;
}

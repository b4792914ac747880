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
import { DEFAULT_LIMITS } from '../limits';
import {
  checkDurationSeconds,
  CommandName,
  COMMAND_NAMES,
  parseSchedule,
  parseSingleCommand,
  ScheduleRunner,
  SingleCommand,
  Telemetry,
} from '../device';
import type { DueCommand, ScheduleInterval } from '../device';

// The device contract lives in src/device; these names stay importable from here.
export { checkDurationSeconds, COMMAND_NAMES, parseSchedule, parseSingleCommand };
export type { CommandName, ScheduleInterval, SingleCommand };

/** What should be in force (the shared runner's answer). */
export type DesiredCommand = DueCommand;

/** Operational states (codes) expected after each command ([PSU-CT]). */
export const EXPECTED_STATES: Record<CommandName, readonly number[]> = {
  normal: [0, 1],
  shed: [2, 4],
  'critical-peak': [2, 4],
  'grid-emergency': [2, 4],
  loadup: [3, 6],
  'advanced-loadup': [3, 6],
};

/** CTA-2045 telemetry: the shared contract plus the operational-state code and the command check. */
export interface Cta2045Telemetry extends Telemetry {
  operatingStateCode: number | null;
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
  /** Most intervals one schedule may have (DEFAULT_LIMITS.maxScheduleIntervals). */
  maxScheduleIntervals?: number;
}

/**
 * Events: 'command' (DispatchRecord), 'telemetry' (Telemetry), 'status' (DesiredCommand | null,
 * link up), 'mismatch' ({expected, state}).
 */
export class ScheduleDispatcher extends EventEmitter {
  private readonly runner: ScheduleRunner;
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
  lastTelemetry: Cta2045Telemetry | null = null;
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
    // Every interval edge is a boundary: the command is sent again at each, so a lost frame heals.
    this.runner = new ScheduleRunner(
      () => {
        if (this.running) void this.enqueue('boundary');
      },
      { clock: this.clock, boundaries: 'interval', mergeGapMs: 1000 },
    );
    this.opts = {
      heartbeatSeconds: options.heartbeatSeconds ?? 60,
      refreshSeconds: options.refreshSeconds ?? 900,
      pollSeconds: options.pollSeconds ?? 60,
      verifyDelaySeconds: options.verifyDelaySeconds ?? 15,
      commodity7: options.commodity7 ?? 'take',
      defaultAluExtraWh: options.defaultAluExtraWh ?? 2000,
      maxScheduleIntervals: options.maxScheduleIntervals ?? DEFAULT_LIMITS.maxScheduleIntervals,
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
    this.runner.setSchedule(parseSchedule(intervals, this.opts.maxScheduleIntervals));
    this.runner.manual = null;
    this.enqueue('schedule');
  }

  /** A single command; the schedule (if any) resumes when it ends. */
  command(cmd: SingleCommand): Promise<DispatchRecord | null> {
    const previous = this.runner.manual;
    const manual = this.runner.manualFor(cmd, this.clock.now());
    this.runner.manual = manual;
    return this.enqueue('manual').then((record) => {
      // A command that could not be sent has no effect: the caller is told it failed, so it
      // must not come back into force by itself when the link returns.
      if ((!record || record.outcome === 'link-down') && this.runner.manual === manual)
        this.runner.manual = previous;
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
    return this.runner.due(at);
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
    this.runner.arm();
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
  poll(why: string): Promise<Cta2045Telemetry | null> {
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
      const telemetry: Cta2045Telemetry = {
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
    this.runner.disarm();
    await this.chain.catch(() => undefined);
    this.running = false;
    // The last queued step may have armed a timer: clear again now nothing can re-arm.
    for (const name of Object.keys(this.timers)) this.clear(name);
    this.runner.disarm();
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

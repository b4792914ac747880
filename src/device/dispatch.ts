/**
 * The device-neutral dispatcher behind hpwh-dispatch: follows a schedule or a single command on
 * its own clock and, at every boundary, emits the command due in the configured shape. SG-Ready
 * locks are kept within their limits. What it must remember across a restart (the schedule,
 * the single command, the lock history) it hands out as `persist` events and takes back as
 * `restore`; after a restart it emits the command due now, never one whose time has passed.
 */
import { EventEmitter } from 'events';
import { SingleCommand } from './commands';
import { DispatchMessage, OutputShape, SetpointConfig, shapeMessage } from './outputs';
import { DueCommand, ManualCommand, ScheduleRunner } from './runner';
import { parseSchedule, ScheduleBlock } from './schedule';
import {
  DEFAULT_SG_READY_LIMITS,
  DEFAULT_SG_READY_MAP,
  limitSgReady,
  LockHistory,
  SgReadyLimits,
  SgReadyMap,
  sgReadyStateFor,
} from './sg-ready';
import { Clock, realClock, TimerHandle } from '../time/clock';
import { DEFAULT_LIMITS } from '../limits';

export interface DeviceDispatchOptions {
  shape: OutputShape;
  clock?: Clock;
  /** msg.topic of every message ('' = the shape's own). */
  topic?: string;
  sgReadyMap?: SgReadyMap;
  sgReadyLimits?: SgReadyLimits;
  setpoint?: SetpointConfig;
  maxScheduleIntervals?: number;
}

/** What survives a restart (JSON, for node context). */
export interface DispatchMemory {
  intervals: ScheduleBlock[];
  manual: ManualCommand | null;
  lock: LockHistory;
}

export interface DispatchEmission {
  message: DispatchMessage;
  due: DueCommand;
  /** Why now: 'schedule', 'command', 'boundary', 'restart', 'limit'. */
  trigger: string;
}

/** A lock limit changed what the plan asked for (the adapter words it). */
export interface LimitWarning {
  kind: 'max-lock' | 'min-release';
  /** Epoch ms until which the heat pump runs normally instead. */
  until: number | null;
}

/** Events: 'output' (DispatchEmission), 'warning' (LimitWarning), 'persist' (DispatchMemory). */
export class DeviceDispatch extends EventEmitter {
  readonly clock: Clock;
  private readonly runner: ScheduleRunner;
  private readonly options: DeviceDispatchOptions;
  private lock: LockHistory = { lockStart: null, lastLockEnd: null };
  private recheck: TimerHandle | null = null;
  private stopped = false;
  /** The last emission (status: the command in force and until when). */
  current: DispatchEmission | null = null;

  constructor(options: DeviceDispatchOptions) {
    super();
    this.options = options;
    this.clock = options.clock ?? realClock;
    // Boundaries are where the command changes: one message per change, not per interval.
    this.runner = new ScheduleRunner(() => this.evaluate('boundary'), {
      clock: this.clock,
      boundaries: 'block',
    });
  }

  /** Take back what a previous run remembered and emit what is due now (never a past command). */
  restore(memory: DispatchMemory | undefined): void {
    if (!memory || !Array.isArray(memory.intervals)) return;
    this.runner.setSchedule(memory.intervals);
    this.runner.manual = memory.manual ?? null;
    if (memory.lock) this.lock = { ...memory.lock };
    if (this.runner.hasSchedule() || this.runner.manual) this.evaluate('restart');
  }

  /** Follow a new schedule from now on: its command due now goes out at once. */
  setSchedule(intervals: unknown): DispatchEmission {
    const blocks = parseSchedule(
      intervals,
      this.options.maxScheduleIntervals ?? DEFAULT_LIMITS.maxScheduleIntervals,
    );
    this.runner.setSchedule(blocks);
    this.runner.manual = null;
    return this.evaluate('schedule');
  }

  /** A single command over the schedule, until its duration ends (default: the next boundary, or 1 h). */
  command(cmd: SingleCommand): DispatchEmission {
    const { command, until } = this.runner.manualFor(cmd, this.clock.now());
    this.runner.manual = { command, until };
    return this.evaluate('command');
  }

  /** What is due now (before the SG-Ready limits). */
  due(): DueCommand {
    return this.runner.due();
  }

  memory(): DispatchMemory {
    // Intervals that have ended are of no use after a restart: they are never sent again.
    const now = this.clock.now();
    const intervals = this.runner.scheduleIntervals().filter((b) => b.end > now);
    return { intervals, manual: this.runner.manual, lock: { ...this.lock } };
  }

  /** Work out what is due now, emit it in the configured shape and arm the next wake-up. */
  private evaluate(trigger: string): DispatchEmission {
    const now = this.clock.now();
    const due = this.runner.due(now);
    let recheckAt: number | null = null;
    let sgReady: Parameters<typeof shapeMessage>[1]['sgReady'];
    if (this.options.shape === 'sg-ready') {
      const wanted = sgReadyStateFor(due.command, this.options.sgReadyMap ?? DEFAULT_SG_READY_MAP);
      const limited = limitSgReady(
        wanted,
        now,
        this.lock,
        this.options.sgReadyLimits ?? DEFAULT_SG_READY_LIMITS,
      );
      this.lock = limited.history;
      recheckAt = limited.recheckAt;
      sgReady = { state: limited.state, wanted, limited: limited.limited };
      if (limited.limited)
        this.emit('warning', { kind: limited.limited, until: limited.recheckAt } as LimitWarning);
    }
    // A lock that will be cut holds only until the cut: say so, in `until` and the duration.
    const shown =
      recheckAt !== null && (due.until === null || recheckAt < due.until)
        ? { ...due, until: recheckAt }
        : due;
    const message = shapeMessage(this.options.shape, {
      due: shown,
      now,
      topic: this.options.topic ?? '',
      sgReady,
      setpoint: this.options.setpoint,
    });
    const emission: DispatchEmission = { message, due, trigger };
    this.current = emission;
    if (!this.stopped) {
      this.runner.arm();
      this.armRecheck(recheckAt, now);
    }
    this.emit('output', emission);
    this.emit('persist', this.memory());
    return emission;
  }

  private armRecheck(at: number | null, now: number): void {
    this.clock.clearTimeout(this.recheck);
    this.recheck = null;
    const boundary = this.runner.nextBoundary(now);
    // The plan's own boundary comes first: it re-evaluates the limits anyway.
    if (at === null || (boundary !== undefined && boundary <= at)) return;
    this.recheck = this.clock.setTimeout(() => {
      this.recheck = null;
      if (!this.stopped) this.evaluate('limit');
    }, at - now);
  }

  stop(): void {
    this.stopped = true;
    this.runner.disarm();
    this.clock.clearTimeout(this.recheck);
    this.recheck = null;
  }
}

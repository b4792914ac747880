/**
 * The schedule runner every output node shares: which command is due at a moment (a single
 * command or the schedule block in force), when the next boundary is, and a timer that fires
 * at it. What is due is always computed from the clock when it is asked — after a restart,
 * a redeploy or a link that was down, the command due now goes out, never a past one.
 * Transports (CTA-2045 frames, Modbus writes, hpwh-dispatch messages) only add how to send.
 */
import { checkDurationSeconds, CommandName, COMMAND_NAMES, isCommandName, SingleCommand } from './commands';
import { blockAt, mergeBlocks, nextEdge, ScheduleBlock } from './schedule';
import { Clock, realClock, TimerHandle } from '../time/clock';

/** The command in force and why. */
export interface DueCommand {
  command: CommandName;
  /** Epoch ms (runner clock) when it ends; null for open-ended. */
  until: number | null;
  extraWh?: number;
  /** 'none': no schedule block and no single command — normal operation. */
  source: 'schedule' | 'manual' | 'none';
}

/** A single command in force until `until` (null: until told otherwise). */
export interface ManualCommand {
  command: CommandName;
  until: number | null;
  extraWh?: number;
}

export interface RunnerOptions {
  clock?: Clock;
  /**
   * 'interval': every interval's start and end is a boundary (CTA-2045 sends the command again
   * at each one, so a lost frame heals); 'block': only where the command changes.
   */
  boundaries?: 'interval' | 'block';
  /** Intervals with the same signal at most this far apart form one block (ms). Default 0. */
  mergeGapMs?: number;
  /** Longest single timer wait (ms of runner clock): long waits re-check the clock. Default none. */
  maxWaitMs?: number;
}

export class ScheduleRunner {
  readonly clock: Clock;
  private intervals: ScheduleBlock[] = [];
  private blocks: ScheduleBlock[] = [];
  private manualCommand: ManualCommand | null = null;
  private timer: TimerHandle | null = null;
  private readonly boundaries: 'interval' | 'block';
  private readonly mergeGapMs: number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly onBoundary: (at: number) => void,
    options: RunnerOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.boundaries = options.boundaries ?? 'interval';
    this.mergeGapMs = options.mergeGapMs ?? 0;
    this.maxWaitMs = options.maxWaitMs ?? Infinity;
  }

  now(): number {
    return this.clock.now();
  }

  /** Follow these (parsed) intervals from now on. */
  setSchedule(intervals: readonly ScheduleBlock[]): void {
    this.intervals = [...intervals];
    this.blocks = mergeBlocks(this.intervals, this.mergeGapMs);
  }

  /** The schedule's intervals as parsed. */
  scheduleIntervals(): ScheduleBlock[] {
    return this.intervals.map((b) => ({ ...b }));
  }

  /** The schedule's blocks (runs of one command). */
  scheduleBlocks(): ScheduleBlock[] {
    return this.blocks.map((b) => ({ ...b }));
  }

  hasSchedule(): boolean {
    return this.intervals.length > 0;
  }

  get manual(): ManualCommand | null {
    return this.manualCommand;
  }

  set manual(command: ManualCommand | null) {
    this.manualCommand = command;
  }

  /**
   * The window a single command holds at `now` (not yet in force): checked, and lasting its
   * duration, or until the next boundary, or an hour when nothing follows.
   */
  manualFor(cmd: SingleCommand, now: number): ManualCommand {
    if (!isCommandName(cmd.command))
      throw new Error(`command must be one of ${COMMAND_NAMES.join(', ')}, got ${String(cmd.command)}`);
    let seconds = cmd.durationSeconds === undefined ? undefined : checkDurationSeconds(cmd.durationSeconds);
    if (seconds === undefined) {
      const next = this.nextBoundary(now);
      seconds = next !== undefined ? (next - now) / 1000 : 3600;
    }
    return { command: cmd.command, until: now + seconds * 1000, extraWh: cmd.extraWh };
  }

  /** What is due at `at`: an unexpired single command first, then the schedule block. */
  due(at = this.clock.now()): DueCommand {
    const m = this.manualCommand;
    if (m && (m.until === null || m.until > at)) {
      const due: DueCommand = { command: m.command, until: m.until, source: 'manual' };
      if (m.extraWh !== undefined) due.extraWh = m.extraWh;
      return due;
    }
    const interval = blockAt(this.intervals, at);
    if (!interval) return { command: 'normal', until: this.nextBoundary(at) ?? null, source: 'none' };
    const block = blockAt(this.blocks, at);
    const due: DueCommand = {
      command: interval.command,
      until: block?.end ?? interval.end,
      source: 'schedule',
    };
    if (interval.extraWh !== undefined) due.extraWh = interval.extraWh;
    return due;
  }

  /** The next moment after `at` at which what is due may change. */
  nextBoundary(at = this.clock.now()): number | undefined {
    let next = nextEdge(this.boundaries === 'interval' ? this.intervals : this.blocks, at);
    const m = this.manualCommand;
    if (m && m.until !== null && m.until > at && (next === undefined || m.until < next)) next = m.until;
    return next;
  }

  /** (Re)arm the timer for the next boundary; none when nothing lies ahead. */
  arm(): void {
    this.disarm();
    const now = this.clock.now();
    const boundary = this.nextBoundary(now);
    if (boundary === undefined) return;
    const wait = Math.min(Math.max(0, boundary - now), this.maxWaitMs);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      // A timer may fire a moment before its clock reaches the boundary, and long waits are
      // cut into pieces: until the boundary is really here, wait again.
      if (this.clock.now() < boundary) this.arm();
      else this.onBoundary(boundary);
    }, wait);
  }

  disarm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

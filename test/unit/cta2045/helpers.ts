/** Shared fixtures for the CTA-2045 unit tests: fast protocol timing and a raw scripted peer. */
import { Clock, TimerHandle } from '../../../src/cta2045/clock';
import { LinkTiming } from '../../../src/cta2045/link';
import { InProcessTransport, createTransportPair } from '../../../src/cta2045/transport';
import { fromHex, toHex } from '../../../src/cta2045/codec';

/** Protocol waits shrunk for tests that exercise schedules; ordering and retries unchanged. */
export const FAST: Partial<LinkTiming> = {
  ackDelayMs: 4,
  responseDelayMs: 8,
  interMessageMs: 8,
  linkAckTimeoutMs: 150,
  retryDelayMs: 30,
  responseTimeoutMs: 600,
};

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** A peer the test scripts by hand: records what arrives (as hex chunks), sends raw bytes. */
export class RawPeer {
  readonly received: Array<{ hex: string; at: number }> = [];
  readonly ucmSide: InProcessTransport;
  readonly side: InProcessTransport;
  onData: ((hex: string) => void) | null = null;
  constructor() {
    [this.ucmSide, this.side] = createTransportPair('raw');
    this.side.on('data', (b: Uint8Array) => {
      const hex = toHex(b);
      this.received.push({ hex, at: Date.now() });
      this.onData?.(hex);
    });
  }
  async open(): Promise<void> {
    await this.ucmSide.open();
    await this.side.open();
  }
  send(hex: string): void {
    void this.side.write(fromHex(hex));
  }
  hexes(): string[] {
    return this.received.map((r) => r.hex);
  }
}

/**
 * A schedule clock that moves only when the test says so. The link keeps real protocol timing;
 * schedule time stands still while a command is on the wire, so boundary times and remaining
 * durations are exact whatever the CPU load (a scaled clock turns 100 ms of timer slip into a
 * simulated minute at factor 600).
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Array<{ id: number; due: number; fn: () => void }> = [];

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.push({ id, due: this.t + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | null | undefined): void {
    if (handle) this.timers = this.timers.filter((x) => x.id !== handle.id);
  }

  /** Move to `at`, firing each timer due by then at its own due time, earliest first. */
  advanceTo(at: number): void {
    for (;;) {
      const due = this.timers.filter((x) => x.due <= at);
      if (!due.length) break;
      const next = due.reduce((a, b) => (b.due < a.due || (b.due === a.due && b.id < a.id) ? b : a));
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.due);
      next.fn();
    }
    this.t = Math.max(this.t, at);
  }
}

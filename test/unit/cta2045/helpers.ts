/** Shared fixtures for the CTA-2045 unit tests: fast protocol timing and a raw scripted peer. */
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

/**
 * Streaming CTA-2045 receive parser (docs/cta2045.md 1.10 and 6.4). Bytes arrive in arbitrary
 * chunks with garbage anywhere; the parser resynchronises by discarding one byte at a time from
 * a rejected candidate, so a valid frame hidden behind a false start is still found. It never
 * throws: everything it cannot use becomes an event the link layer answers (a NAK) or ignores.
 *
 * Time is passed in (`now` in ms) so the 500 ms message timeout (tML) is testable without
 * waiting; the owner arms a timer for `nextDeadline()` and calls `expire(now)`.
 */
import { checksumValid, LinkNak, MessageType } from './codec';

export type ParserEvent =
  | { kind: 'frame'; bytes: Uint8Array }
  | { kind: 'ack' }
  | { kind: 'nak'; reason: number }
  /** Something the receiver must answer with link NAK `nak` (bad checksum, length, type, timeout). */
  | { kind: 'reject'; nak: number; why: string; bytes: Uint8Array };

export interface ParserOptions {
  /** Largest payload (length field) accepted; larger frames are NAKed 0x02. Default 4096. */
  maxPayload?: number;
  /** tML: a partial frame older than this is dropped with NAK 0x05. Default 500 ms. */
  messageTimeoutMs?: number;
  /** Message types this receiver supports; other checksum-valid frames are NAKed 0x06. */
  supportedTypes?: readonly MessageType[];
}

const DEFAULT_SUPPORTED: readonly MessageType[] = [
  [0x08, 0x01],
  [0x08, 0x02],
  [0x08, 0x03],
];

/** Types a real peer could send (08 01..04, 09 01..0C): a bad frame of these types is NAKed. */
function plausibleType(b0: number, b1: number): boolean {
  return (b0 === 0x08 && b1 >= 0x01 && b1 <= 0x04) || (b0 === 0x09 && b1 >= 0x01 && b1 <= 0x0c);
}

/** Basic DR and data-link frames carry exactly 2 payload bytes (or 0 for a type query). */
function fixedLengthType(b0: number, b1: number): boolean {
  return b0 === 0x08 && (b1 === 0x01 || b1 === 0x03);
}

export class FrameParser {
  private buf: number[] = [];
  private times: number[] = [];
  private readonly maxPayload: number;
  private readonly timeoutMs: number;
  private readonly supported: readonly MessageType[];
  /** Bytes thrown away as garbage (for diagnostics and tests). */
  discarded = 0;

  constructor(options: ParserOptions = {}) {
    this.maxPayload = options.maxPayload ?? 4096;
    this.timeoutMs = options.messageTimeoutMs ?? 500;
    this.supported = options.supportedTypes ?? DEFAULT_SUPPORTED;
  }

  /** Feed a chunk received at `now`; returns the events it completes. */
  push(chunk: ArrayLike<number>, now: number): ParserEvent[] {
    const events: ParserEvent[] = [];
    // A partial frame that is already too old must expire before new bytes can extend it.
    this.process(now, events, true);
    for (let i = 0; i < chunk.length; i++) {
      this.buf.push(chunk[i] & 0xff);
      this.times.push(now);
    }
    this.process(now, events, false);
    return events;
  }

  /** Apply the message timeout at `now` (call when the timer from nextDeadline() fires). */
  expire(now: number): ParserEvent[] {
    const events: ParserEvent[] = [];
    this.process(now, events, true);
    return events;
  }

  /** When the buffered partial frame times out, or null if nothing is pending. */
  nextDeadline(): number | null {
    return this.buf.length ? this.times[0] + this.timeoutMs : null;
  }

  /** True while part of a message is buffered (half-duplex: do not start sending). */
  receiving(): boolean {
    return this.buf.length > 0;
  }

  reset(): void {
    this.buf = [];
    this.times = [];
  }

  private drop(n: number): void {
    this.buf.splice(0, n);
    this.times.splice(0, n);
  }

  private garbage(): void {
    this.discarded++;
    this.drop(1);
  }

  private process(now: number, events: ParserEvent[], expiring: boolean): void {
    for (;;) {
      const buf = this.buf;
      if (buf.length === 0) return;
      const waiting = (): boolean => {
        // Not enough bytes yet: either keep waiting or, if the head is too old, give it up.
        if (!expiring || now - this.times[0] < this.timeoutMs) return true;
        if ((buf[0] === 0x08 || buf[0] === 0x09) && buf.length >= 2 && plausibleType(buf[0], buf[1])) {
          events.push({
            kind: 'reject',
            nak: LinkNak.MessageTimeout,
            why: `incomplete message: ${buf.length} bytes, no more within ${this.timeoutMs} ms`,
            bytes: Uint8Array.from(buf),
          });
          this.drop(1);
        } else {
          this.garbage();
        }
        return false;
      };
      const b0 = buf[0];
      if (b0 === 0x06 || b0 === 0x15) {
        if (buf.length < 2) {
          if (waiting()) return;
          continue;
        }
        if (b0 === 0x06 && buf[1] === 0x00) {
          events.push({ kind: 'ack' });
          this.drop(2);
        } else if (b0 === 0x15 && buf[1] <= 0x07) {
          events.push({ kind: 'nak', reason: buf[1] });
          this.drop(2);
        } else {
          this.garbage();
        }
        continue;
      }
      if (b0 !== 0x08 && b0 !== 0x09) {
        this.garbage();
        continue;
      }
      if (buf.length < 4) {
        if (waiting()) return;
        continue;
      }
      const plausible = plausibleType(b0, buf[1]);
      const len = (buf[2] << 8) | buf[3];
      if (len > this.maxPayload) {
        if (plausible) {
          events.push({
            kind: 'reject',
            nak: LinkNak.InvalidLength,
            why: `payload length ${len} exceeds the maximum ${this.maxPayload}`,
            bytes: Uint8Array.from(buf.slice(0, 4)),
          });
          this.drop(1);
        } else this.garbage();
        continue;
      }
      if (plausible && fixedLengthType(b0, buf[1]) && len !== 0 && len !== 2) {
        events.push({
          kind: 'reject',
          nak: LinkNak.InvalidLength,
          why: `message type ${hex(b0)} ${hex(buf[1])} must have length 0 or 2, got ${len}`,
          bytes: Uint8Array.from(buf.slice(0, 4)),
        });
        this.drop(1);
        continue;
      }
      const need = len + 6;
      if (buf.length < need) {
        if (waiting()) return;
        continue;
      }
      const candidate = Uint8Array.from(buf.slice(0, need));
      if (!checksumValid(candidate)) {
        if (plausible) {
          events.push({
            kind: 'reject',
            nak: LinkNak.ChecksumError,
            why: 'checksum error',
            bytes: candidate,
          });
          this.drop(1);
        } else this.garbage();
        continue;
      }
      this.drop(need);
      if (this.supported.some((t) => t[0] === candidate[0] && t[1] === candidate[1])) {
        events.push({ kind: 'frame', bytes: candidate });
      } else {
        events.push({
          kind: 'reject',
          nak: LinkNak.UnsupportedMessageType,
          why: `unsupported message type ${hex(candidate[0])} ${hex(candidate[1])}`,
          bytes: candidate,
        });
      }
    }
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

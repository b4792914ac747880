/**
 * An RS-485 adapter that echoes what we transmit (its receiver is not disabled during TX) gives
 * our own bytes back before the peer's: this filter drops them instead of parsing them.
 */
export class EchoFilter {
  /** Bytes we wrote that the adapter has not yet given back. */
  private pending: number[] = [];

  /** Records bytes just written. */
  sent(bytes: Uint8Array): void {
    this.pending.push(...bytes);
  }

  /**
   * The peer's part of received bytes, or null when they were all our echo. Our own
   * transmission comes back first, byte for byte; the first byte that differs (or follows the
   * whole echo) is the peer's.
   */
  strip(bytes: Uint8Array): Uint8Array | null {
    if (!this.pending.length) return bytes;
    let n = 0;
    while (n < bytes.length && n < this.pending.length && bytes[n] === this.pending[n]) n++;
    if (n === bytes.length) {
      this.pending = this.pending.slice(n);
      return null;
    }
    this.pending = [];
    return bytes.subarray(n);
  }
}

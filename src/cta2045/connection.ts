/**
 * One UCM connection to one water heater: opens a fresh transport (a new port object every
 * time, so nothing queued on a dead port is ever replayed), runs the start-up handshake, and
 * reconnects on a timer after an unplug, an error or a silent SGD.
 *
 *   stopped -> connecting -> up -> (close / no answer) -> down -> (timer) -> connecting ...
 */
import { EventEmitter } from 'events';
import { Clock, realClock, TimerHandle } from './clock';
import { LinkTiming } from './link';
import { Transport } from './transport';
import { Cta2045Ucm, HandshakeResult } from './ucm';

export type ConnectionState = 'stopped' | 'connecting' | 'up' | 'down';

export interface ConnectionOptions {
  /** Make a new, unopened transport (called for every connection attempt). */
  createTransport: () => Transport;
  /** Wait between reconnection attempts (real ms, default 5000). */
  reconnectMs?: number;
  timing?: Partial<LinkTiming>;
  /** Protocol timing clock (real by default). */
  linkClock?: Clock;
  /** Wall clock for UTC replies to the SGD (the schedule clock). */
  wallClock?: Clock;
  /** The RS-485 adapter echoes our transmissions. */
  echoSuppression?: boolean;
}

/**
 * Events: 'state' (ConnectionState, reason), 'up' (HandshakeResult), 'down' (reason),
 * 'sgd-restart', 'operational-state' (code, name), 'customer-override' (bool), 'ucm' (Cta2045Ucm).
 */
export class Cta2045Connection extends EventEmitter {
  state: ConnectionState = 'stopped';
  reason = '';
  ucm: Cta2045Ucm | null = null;
  handshake: HandshakeResult | null = null;
  description = '';
  private transport: Transport | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private readonly reconnectClock = realClock;
  private attempt = 0;
  private lastLoggedReason = '';

  constructor(private readonly options: ConnectionOptions) {
    super();
  }

  get isUp(): boolean {
    return this.state === 'up' && !!this.ucm && !this.ucm.closed;
  }

  private setState(state: ConnectionState, reason = ''): void {
    this.state = state;
    this.reason = reason;
    this.emit('state', state, reason);
  }

  start(): void {
    if (this.state !== 'stopped') return;
    void this.connect();
  }

  private async connect(): Promise<void> {
    const attempt = ++this.attempt;
    this.setState('connecting', 'opening');
    let transport: Transport;
    try {
      transport = this.options.createTransport();
      this.description = transport.description;
      await transport.open();
    } catch (err) {
      if (attempt !== this.attempt) return;
      this.fail(`cannot open ${this.description || 'port'}: ${(err as Error).message}`);
      return;
    }
    if (attempt !== this.attempt) {
      void transport.close();
      return;
    }
    this.transport = transport;
    const ucm = new Cta2045Ucm(transport, {
      timing: this.options.timing,
      clock: this.options.linkClock,
      wallClock: this.options.wallClock,
      echoSuppression: this.options.echoSuppression,
    });
    this.ucm = ucm;
    ucm.on('closed', () => {
      if (this.ucm === ucm && this.state !== 'stopped') this.fail('serial link closed');
    });
    // A heater that stops answering (cable cut behind a USB adapter that stays present) is a
    // lost link too: reconnect and handshake until it answers again.
    ucm.endpoint.on('link-timeout', () => {
      if (this.ucm === ucm && this.state === 'up') this.fail('water heater does not answer (no link ACK)');
    });
    ucm.on('sgd-restart', (why: string) => this.emit('sgd-restart', why));
    ucm.on('operational-state', (code: number, name: string) => this.emit('operational-state', code, name));
    ucm.on('customer-override', (on: boolean) => this.emit('customer-override', on));
    this.emit('ucm', ucm);
    try {
      const hs = await ucm.handshake();
      if (attempt !== this.attempt || ucm.closed) return;
      this.handshake = hs;
      this.lastLoggedReason = '';
      this.setState('up', 'handshake complete');
      this.emit('up', hs);
    } catch (err) {
      if (attempt !== this.attempt) return;
      this.fail((err as Error).message);
    }
  }

  /** Drop the current link and try again later; called on close or when the SGD goes silent. */
  fail(reason: string): void {
    if (this.state === 'stopped') return;
    const wasUp = this.state === 'up';
    this.attempt++;
    const ucm = this.ucm;
    const transport = this.transport;
    this.ucm = null;
    this.transport = null;
    ucm?.close();
    void transport?.close().catch(() => undefined);
    // The same error every few seconds is logged once (the node shows it in its status).
    const repeat = reason === this.lastLoggedReason;
    this.lastLoggedReason = reason;
    this.setState('down', reason);
    if (wasUp || !repeat) this.emit('down', reason);
    this.reconnectClock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.reconnectClock.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'down') void this.connect();
    }, this.options.reconnectMs ?? 5000);
  }

  /** Close for good: no reconnect, transport closed. */
  async stop(): Promise<void> {
    this.attempt++;
    this.reconnectClock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.setState('stopped', 'stopped');
    const ucm = this.ucm;
    const transport = this.transport;
    this.ucm = null;
    this.transport = null;
    ucm?.close();
    if (transport) await transport.close().catch(() => undefined);
  }
}

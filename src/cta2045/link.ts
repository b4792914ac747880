/**
 * CTA-2045 link layer as a small explicit state machine, shared by both ends of the wire (our
 * UCM and the water-heater simulator):
 *
 *   idle -> waiting-link-ack -> (waiting-response) -> idle
 *
 * send: write the frame, wait <= 200 ms for `06 00` (retry up to 3 tries, 500 ms apart, on
 * timeout or NAK 03/05), then, if the caller expects an application response, wait <= 3 s for a
 * frame the caller's matcher accepts and link-ACK it 40 ms later. Every received frame is
 * answered with exactly one link ACK or NAK 40 ms after it ends (tMA); a new message starts only
 * after >= 100 ms of bus idle (tIM) and never while a frame is arriving (half duplex).
 * While we await an application response, our replies to requests the peer sends meanwhile
 * still go out (each waits for its own link ACK): both ends may ask at once, and a reply held
 * back behind our pending request would stall both until the response timeout.
 */
import { EventEmitter } from 'events';
import { Clock, realClock, TimerHandle } from './clock';
import { Cta2045Message, decodeFrame, LINK_ACK, LinkNak, linkNak } from './codec';
import { EchoFilter } from './echo-filter';
import {
  DEFAULT_TIMING,
  type LinkEndpointOptions,
  type LinkState,
  type LinkTiming,
  type RequestHandler,
  type SendResult,
  type WireEvent,
} from './link-contract';
import { FrameParser, ParserEvent } from './parser';
import { Transport } from './transport';

export { DEFAULT_TIMING } from './link-contract';
export type {
  LinkEndpointOptions,
  LinkState,
  LinkTiming,
  RequestDecision,
  RequestHandler,
  SendOutcome,
  SendResult,
  WireEvent,
} from './link-contract';

interface Job {
  bytes: Uint8Array;
  expect: ((msg: Cta2045Message) => boolean) | null;
  tries: number;
  notBefore: number;
  /** Our application reply to a request the peer sent: may go out while we await a response. */
  reply: boolean;
  resolve: (r: SendResult) => void;
}

/**
 * Events: 'wire' (WireEvent), 'reject' (parser reject event), 'closed', 'state' (LinkState).
 */
export class LinkEndpoint extends EventEmitter {
  readonly timing: LinkTiming;
  private readonly clock: Clock;
  private readonly parser: FrameParser;
  private readonly queue: Job[] = [];
  private running = false;
  private closedFlag = false;
  private lastActivity = 0;
  private deadlineTimer: TimerHandle | null = null;
  private readonly timers = new Set<TimerHandle>();
  private readonly pendingWaits = new Set<() => void>();
  /** Wakes a transaction that awaits its application response when a reply is queued. */
  private replyQueued: (() => void) | null = null;
  /** The job whose link ACK `waiter` awaits (a response to that job implies its ACK). */
  private waiterJob: Job | null = null;
  private waiter:
    ((ev: { kind: 'ack' } | { kind: 'nak'; reason: number } | { kind: 'timeout' }) => void) | null = null;
  private responseWaiter: {
    job: Job;
    match: (m: Cta2045Message) => boolean;
    resolve: (r: { msg: Cta2045Message; bytes: Uint8Array } | null) => void;
  } | null = null;
  private stateValue: LinkState = 'idle';
  private readonly replyTries: number;
  private readonly echoSuppression: boolean;
  /** Our own bytes coming back from an echoing adapter (see echoSuppression). */
  private readonly echo = new EchoFilter();
  private readonly onData = (bytes: Uint8Array): void => this.receive(bytes);
  private readonly onClose = (): void => this.shutdown();
  // Errors surface through 'close' and write results; a listener keeps them from being thrown.
  private readonly onError = (err: Error): void => void this.emit('transport-error', err);

  constructor(
    private readonly transport: Transport,
    private readonly handler: RequestHandler,
    options: LinkEndpointOptions = {},
  ) {
    super();
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.clock = options.clock ?? realClock;
    this.replyTries = options.replyTries ?? 3;
    this.echoSuppression = options.echoSuppression ?? false;
    this.parser = new FrameParser({
      maxPayload: options.maxPayload ?? 4096,
      messageTimeoutMs: this.timing.messageTimeoutMs,
      supportedTypes: options.supportedTypes,
    });
    transport.on('data', this.onData);
    transport.on('close', this.onClose);
    transport.on('error', this.onError);
  }

  get state(): LinkState {
    return this.stateValue;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private setState(s: LinkState): void {
    if (this.stateValue === s) return;
    this.stateValue = s;
    this.emit('state', s);
  }

  /**
   * Send a frame as a transaction. `expect` picks the application response (null: the link ACK
   * ends it, e.g. a type-support query or our own reply). Never throws: failures are outcomes.
   */
  send(bytes: Uint8Array, expect: ((msg: Cta2045Message) => boolean) | null = null): Promise<SendResult> {
    return this.enqueue(bytes, expect, this.timing.tries, 0, false);
  }

  private enqueue(
    bytes: Uint8Array,
    expect: ((msg: Cta2045Message) => boolean) | null,
    tries: number,
    notBefore: number,
    urgent: boolean,
  ): Promise<SendResult> {
    if (this.closedFlag) return Promise.resolve({ outcome: 'closed', attempts: 0 });
    return new Promise((resolve) => {
      const job: Job = { bytes, expect, tries, notBefore, reply: urgent, resolve };
      if (urgent) {
        // Replies go before our own queued requests, in the order the requests arrived.
        const i = this.queue.findIndex((j) => !j.reply);
        this.queue.splice(i < 0 ? this.queue.length : i, 0, job);
        this.replyQueued?.();
      } else this.queue.push(job);
      void this.pump();
    });
  }

  /** Stop: pending and queued sends end as 'closed'; nothing is written afterwards. */
  shutdown(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.setState('closed');
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    for (const resolve of this.pendingWaits) resolve();
    this.pendingWaits.clear();
    this.clock.clearTimeout(this.deadlineTimer);
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onClose);
    this.transport.off('error', this.onError);
    const waiting = this.waiter;
    this.waiter = null;
    this.waiterJob = null;
    waiting?.({ kind: 'timeout' });
    const rw = this.responseWaiter;
    this.responseWaiter = null;
    rw?.resolve(null);
    for (const job of this.queue.splice(0)) job.resolve({ outcome: 'closed', attempts: 0 });
    this.emit('closed');
  }

  private later(ms: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (!this.closedFlag) fn();
    }, ms);
    this.timers.add(handle);
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closedFlag) return resolve();
      const handle = this.clock.setTimeout(() => {
        this.timers.delete(handle);
        this.pendingWaits.delete(resolve);
        resolve();
      }, ms);
      this.timers.add(handle);
      // A shutdown clears timers; it resolves pending waits so the pump can finish.
      this.pendingWaits.add(resolve);
    });
  }

  private async write(bytes: Uint8Array): Promise<boolean> {
    if (this.closedFlag || !this.transport.isOpen) return false;
    this.lastActivity = this.clock.now();
    this.emit('wire', { direction: 'tx', bytes, at: this.lastActivity } satisfies WireEvent);
    if (this.echoSuppression) this.echo.sent(bytes);
    try {
      await this.transport.write(bytes);
      this.lastActivity = this.clock.now();
      return true;
    } catch (err) {
      this.emit('write-error', err);
      return false;
    }
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length && !this.closedFlag) {
        const job = this.queue.shift()!;
        job.resolve(await this.run(job));
      }
    } finally {
      this.running = false;
    }
  }

  /** Wait until the bus has been idle for tIM and nothing is being received. */
  private async idleBus(notBefore: number): Promise<void> {
    for (let guard = 0; guard < 1000 && !this.closedFlag; guard++) {
      const now = this.clock.now();
      const gap = Math.max(this.lastActivity + this.timing.interMessageMs - now, notBefore - now);
      if (gap <= 0 && !this.parser.receiving()) return;
      await this.wait(Math.max(gap, 5));
    }
  }

  /**
   * Write a frame and wait for its link ACK, with retries (tries, retry delay, tIM before each).
   * Used for every frame, including our replies sent while a request of ours is pending.
   */
  private async transmit(
    job: Job,
  ): Promise<{ acked: boolean; attempts: number; nakReason?: number; closed: boolean }> {
    let attempts = 0;
    let nakReason: number | undefined;
    while (attempts < job.tries && !this.closedFlag) {
      if (attempts > 0) {
        await this.wait(this.timing.retryDelayMs);
        await this.idleBus(0);
      }
      attempts++;
      const ack = new Promise<{ kind: 'ack' } | { kind: 'nak'; reason: number } | { kind: 'timeout' }>(
        (resolve) => {
          this.waiter = resolve;
          this.waiterJob = job;
          this.later(this.timing.linkAckTimeoutMs, () => {
            if (this.waiter === resolve) {
              this.waiter = null;
              this.waiterJob = null;
              resolve({ kind: 'timeout' });
            }
          });
        },
      );
      this.setState('waiting-link-ack');
      if (!(await this.write(job.bytes))) {
        if (this.waiterJob === job) {
          this.waiter = null;
          this.waiterJob = null;
        }
        return { acked: false, attempts, closed: true };
      }
      const ev = await ack;
      if (ev.kind === 'ack') return { acked: true, attempts, closed: false };
      if (ev.kind === 'nak') {
        nakReason = ev.reason;
        // Checksum error or timeout at the peer: the frame was damaged, try again.
        if (ev.reason === LinkNak.ChecksumError || ev.reason === LinkNak.MessageTimeout) continue;
        break;
      }
    }
    return { acked: false, attempts, nakReason, closed: this.closedFlag };
  }

  private async run(job: Job): Promise<SendResult> {
    await this.idleBus(job.notBefore);
    if (this.closedFlag || !this.transport.isOpen) return { outcome: 'closed', attempts: 0 };
    const started = this.clock.now();
    // Arm the response waiter before writing: a fast peer may answer before the ACK is seen.
    let response: Promise<{ msg: Cta2045Message; bytes: Uint8Array } | null> | null = null;
    if (job.expect) {
      const match = job.expect;
      response = new Promise((resolve) => (this.responseWaiter = { job, match, resolve }));
    }
    const sent = await this.transmit(job);
    const { attempts } = sent;
    const linkAckMs = this.clock.now() - started;
    if (!sent.acked) {
      this.responseWaiter = null;
      this.setState(this.closedFlag ? 'closed' : 'idle');
      if (sent.closed || this.closedFlag) return { outcome: 'closed', attempts };
      return sent.nakReason !== undefined
        ? { outcome: 'link-nak', nakReason: sent.nakReason, attempts }
        : this.linkTimeout(attempts);
    }
    if (!response) {
      this.setState('idle');
      return { outcome: 'link-acked', attempts, linkAckMs };
    }
    this.setState('waiting-response');
    let timedOut = false;
    const timeout = new Promise<null>((resolve) =>
      this.later(this.timing.responseTimeoutMs, () => {
        timedOut = true;
        resolve(null);
      }),
    );
    let got: { msg: Cta2045Message; bytes: Uint8Array } | null = null;
    for (;;) {
      // The peer may send a request of its own while it owes us our response (an SGD that
      // reboots and asks its start-up questions, an unsolicited state, a customer override).
      // Our reply goes out now: if it waited behind our pending request, and the peer's
      // response waited behind its pending request, both ends would stall until timing out.
      const replyQueued = new Promise<'reply'>((resolve) => (this.replyQueued = () => resolve('reply')));
      const pendingReply = this.queue.some((j) => j.reply);
      const ev = pendingReply ? 'reply' : await Promise.race([response, timeout, replyQueued]);
      this.replyQueued = null;
      if (ev !== 'reply') {
        got = ev;
        break;
      }
      if (timedOut || this.closedFlag) break;
      const i = this.queue.findIndex((j) => j.reply);
      const reply = this.queue.splice(i, 1)[0];
      reply.resolve(await this.runReply(reply));
      if (this.closedFlag) break;
      if (this.responseWaiter?.job !== job) {
        // The response arrived while our reply was on the wire.
        got = await Promise.race([response, timeout]);
        break;
      }
      this.setState('waiting-response');
    }
    this.responseWaiter = null;
    this.setState(this.closedFlag ? 'closed' : 'idle');
    if (!got) return { outcome: this.closedFlag ? 'closed' : 'response-timeout', attempts, linkAckMs };
    return {
      outcome: 'response',
      response: got.msg,
      responseBytes: got.bytes,
      attempts,
      linkAckMs,
      responseMs: this.clock.now() - started,
    };
  }

  /** A reply sent while our own request awaits its response (no response expected to it). */
  private async runReply(job: Job): Promise<SendResult> {
    await this.idleBus(job.notBefore);
    if (this.closedFlag || !this.transport.isOpen) return { outcome: 'closed', attempts: 0 };
    const started = this.clock.now();
    const sent = await this.transmit(job);
    if (sent.acked)
      return { outcome: 'link-acked', attempts: sent.attempts, linkAckMs: this.clock.now() - started };
    if (sent.closed || this.closedFlag) return { outcome: 'closed', attempts: sent.attempts };
    return sent.nakReason !== undefined
      ? { outcome: 'link-nak', nakReason: sent.nakReason, attempts: sent.attempts }
      : this.linkTimeout(sent.attempts);
  }

  private linkTimeout(attempts: number): SendResult {
    // The peer is silent at link level: whoever owns the connection may want to reconnect.
    this.emit('link-timeout');
    return { outcome: 'link-timeout', attempts };
  }

  private armDeadline(): void {
    this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const deadline = this.parser.nextDeadline();
    if (deadline === null || this.closedFlag) return;
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        this.deadlineTimer = null;
        this.handleEvents(this.parser.expire(this.clock.now()));
        this.armDeadline();
      },
      Math.max(1, deadline - this.clock.now()),
    );
  }

  private receive(input: Uint8Array): void {
    if (this.closedFlag) return;
    const bytes = this.echo.strip(input);
    if (!bytes) return;
    const now = this.clock.now();
    this.lastActivity = now;
    this.emit('wire', { direction: 'rx', bytes, at: now } satisfies WireEvent);
    this.handleEvents(this.parser.push(bytes, now));
    this.armDeadline();
  }

  private sendLinkReply(bytes: Uint8Array, then?: () => void): void {
    this.later(this.timing.ackDelayMs, () => {
      void this.write(bytes).then(() => then?.());
    });
  }

  private handleEvents(events: ParserEvent[]): void {
    for (const ev of events) {
      try {
        this.handleEvent(ev);
      } catch (err) {
        // A handler bug must not break the receive path; report it and keep the link alive.
        this.emit('handler-error', err);
      }
    }
  }

  private handleEvent(ev: ParserEvent): void {
    if (ev.kind === 'ack' || ev.kind === 'nak') {
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        this.waiterJob = null;
        w(ev);
      }
      // A stray ACK/NAK with nothing pending is ignored (never acknowledged).
      return;
    }
    if (ev.kind === 'reject') {
      this.emit('reject', ev);
      this.sendLinkReply(linkNak(ev.nak));
      return;
    }
    let msg: Cta2045Message;
    try {
      msg = decodeFrame(ev.bytes);
    } catch {
      this.sendLinkReply(linkNak(LinkNak.InvalidLength));
      return;
    }
    const rw = this.responseWaiter;
    if (rw && this.stateValue !== 'idle' && rw.match(msg)) {
      this.responseWaiter = null;
      // A response may overtake the link ACK on a fast peer; the ACK is implied. Only for the
      // frame it answers: a reply of ours in flight still needs its own link ACK.
      const w = this.waiter;
      if (w && this.waiterJob === rw.job) {
        this.waiter = null;
        this.waiterJob = null;
        w({ kind: 'ack' });
      }
      this.sendLinkReply(LINK_ACK);
      rw.resolve({ msg, bytes: ev.bytes });
      return;
    }
    const decision = this.handler(msg, ev.bytes);
    if (decision.link === 'silent') return;
    if (decision.link === 'nak') {
      this.sendLinkReply(linkNak(decision.reason));
      return;
    }
    const reply = decision.reply;
    this.sendLinkReply(LINK_ACK, () => {
      decision.then?.();
      if (reply) {
        const notBefore = this.clock.now() + this.timing.responseDelayMs;
        void this.enqueue(reply, null, this.replyTries, notBefore, true).then((r) =>
          this.emit('reply-sent', { bytes: reply, result: r }),
        );
      }
    });
  }
}

/**
 * SGD (water heater) simulator: answers a UCM over any Transport as docs/cta2045.md section 6
 * describes, with a tank model on a scalable clock. The link layer keeps real protocol timing
 * (its own clock); the tank, durations and the outside-communication timeout run on `clock`.
 *
 * Where real appliances differ (the notes mark these UNVERIFIED) the simulator takes a variant,
 * so the UCM is tested against each: reaction to unsupported messages, the meaning of commodity
 * code 7, the no-outside-communication timeout.
 */
import { EventEmitter } from 'events';
import { Clock, realClock, TimerHandle } from '../clock';
import {
  appAck,
  appNak,
  Basic,
  commodityReply,
  CommodityRecord,
  Cta2045Message,
  decodeAdvancedLoadUpRequest,
  decodeUtcTime,
  deviceInfoReply,
  durationSeconds,
  intermediateReply,
  LinkNak,
  MAX_PAYLOAD_SIZES,
  maxPayloadCode,
  maxPayloadQuery,
  maxPayloadResponse,
  operationalStateResponse,
  customerOverride as customerOverrideFrame,
  temperatureReply,
} from '../codec';
import { LinkEndpoint, LinkTiming } from '../link';
import { Transport } from '../transport';
import { SgdMode, TankModel, TankParameters } from './tank';

/** How the appliance reacts to a message it does not support (UNVERIFIED in the notes). */
export type UnsupportedReaction =
  'link-nak-06' | 'link-nak-07' | 'app-nak-01' | 'intermediate-rc-01' | 'silent';

export interface SimulatorVariants {
  unsupported: UnsupportedReaction;
  /** Commodity code 7: energy still absorbable ('take', default) or energy stored. */
  commodity7: 'take' | 'stored';
  /** No outside-comm FOUND for this long (real seconds) -> back to normal (EPRI-SIM 300 s; PSU suggests 900 s). */
  commTimeoutSeconds: number;
  /** Capability bit 6 (Advanced Load Up). When false, ALU is an unsupported message. */
  advancedLoadUp: boolean;
  /** Customer override answers DR commands with App NAK 0x05 instead of ACK + override notice. */
  overrideNaks: boolean;
}

export const DEFAULT_VARIANTS: SimulatorVariants = {
  unsupported: 'link-nak-07',
  commodity7: 'take',
  commTimeoutSeconds: 300,
  advancedLoadUp: true,
  overrideNaks: true,
};

export interface SimulatorLogEntry {
  /** Simulated time, ISO. */
  at: string;
  command: string;
  opcode2?: number;
  durationSeconds?: number | null;
  extraWh?: number;
}

export interface WaterHeaterSimulatorOptions {
  /** Simulated time (scaled in tests). */
  clock?: Clock;
  /** Protocol timing clock (real by default). */
  linkClock?: Clock;
  timing?: Partial<LinkTiming>;
  variants?: Partial<SimulatorVariants>;
  tank?: Partial<TankParameters>;
  /** Own max payload (default 128, code 0x06). */
  maxPayload?: number;
  model?: string;
  serial?: string;
}

const MODE_COMMAND: Record<number, SgdMode> = {
  [Basic.Shed]: 'shed',
  [Basic.CriticalPeak]: 'critical-peak',
  [Basic.GridEmergency]: 'grid-emergency',
  [Basic.LoadUp]: 'loadup',
};

/** Basic opcodes acknowledged without changing the heating mode. */
const ACK_ONLY: ReadonlySet<number> = new Set([
  Basic.PowerLevel,
  Basic.PresentRelativePrice,
  Basic.NextRelativePrice,
  Basic.TimeRemainingInPricePeriod,
  Basic.GridGuidance,
  Basic.SimpleTimeSync,
  Basic.PendingEventTime,
  Basic.PendingEventType,
]);

/**
 * Events: 'command' (SimulatorLogEntry), 'mode' (SgdMode).
 */
export class WaterHeaterSimulator extends EventEmitter {
  readonly tank: TankModel;
  readonly variants: SimulatorVariants;
  readonly log: SimulatorLogEntry[] = [];
  mode: SgdMode = 'normal';
  /** Simulated ms when the current event ends (null: no expiry). */
  expiresAt: number | null = null;
  customerOverride = false;
  outsideComm = 0;
  capabilityBitmap: number;
  peerMaxPayload = 2;
  /** Link-clock ms of the last FOUND/POOR (the no-comm timeout is real time, like the heartbeat). */
  private lastCommAt: number;
  private lastAdvance: number;
  private readonly clock: Clock;
  private readonly linkClock: Clock;
  private readonly options: WaterHeaterSimulatorOptions;
  private endpoint: LinkEndpoint | null = null;
  private tickTimer: TimerHandle | null = null;

  constructor(options: WaterHeaterSimulatorOptions = {}) {
    super();
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.linkClock = options.linkClock ?? realClock;
    this.variants = { ...DEFAULT_VARIANTS, ...options.variants };
    this.tank = new TankModel(options.tank);
    this.capabilityBitmap = this.variants.advancedLoadUp ? 1 << 6 : 0;
    this.lastCommAt = this.linkClock.now();
    this.lastAdvance = this.clock.now();
  }

  get now(): number {
    return this.clock.now();
  }

  /** Answer a UCM over `transport` (one at a time; attaching again replaces the old one). */
  attach(transport: Transport): LinkEndpoint {
    this.detach();
    this.endpoint = new LinkEndpoint(transport, (msg) => this.onMessage(msg), {
      clock: this.linkClock,
      timing: this.options.timing,
      maxPayload: this.options.maxPayload ?? 128,
    });
    this.scheduleTick();
    return this.endpoint;
  }

  detach(): void {
    this.endpoint?.shutdown();
    this.endpoint = null;
    this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
  }

  /** Keep the tank and timers moving between messages (every 60 simulated seconds). */
  private scheduleTick(): void {
    this.tickTimer = this.clock.setTimeout(() => {
      this.advance();
      if (this.endpoint) this.scheduleTick();
    }, 60_000);
  }

  /** Bring the tank, event expiry and comm timeout up to now. */
  advance(): void {
    const now = this.clock.now();
    while (this.lastAdvance < now) {
      // Step to the event expiry so the mode changes on time.
      let until = now;
      if (this.expiresAt !== null && this.expiresAt > this.lastAdvance)
        until = Math.min(until, this.expiresAt);
      this.tank.advance((until - this.lastAdvance) / 1000, new Date(this.lastAdvance), this.mode);
      this.lastAdvance = until;
      if (this.expiresAt !== null && this.lastAdvance >= this.expiresAt)
        this.setMode('normal', null, 'expired');
      if (until === now) break;
    }
    if (
      this.mode !== 'normal' &&
      this.linkClock.now() - this.lastCommAt >= this.variants.commTimeoutSeconds * 1000
    ) {
      this.setMode('normal', null, 'no outside communication');
    }
  }

  private setMode(mode: SgdMode, expiresAt: number | null, _why: string): void {
    const changed = mode !== this.mode;
    this.mode = mode;
    this.expiresAt = expiresAt;
    if (mode !== 'advanced-loadup') this.tank.aluExtraWh = 0;
    if (changed) this.emit('mode', mode);
  }

  /** Operational state code for the current mode and heating (docs 6.2). */
  operationalState(): number {
    this.advance();
    const heating = this.tank.heating;
    if (this.customerOverride) return heating ? 12 : 11;
    switch (this.mode) {
      case 'shed':
      case 'critical-peak':
      case 'grid-emergency':
        return heating ? 2 : 4;
      case 'loadup':
      case 'advanced-loadup':
        return heating ? 3 : 6;
      default:
        return heating ? 1 : 0;
    }
  }

  private record(command: string, extra: Omit<SimulatorLogEntry, 'at' | 'command'> = {}): void {
    const entry: SimulatorLogEntry = { at: new Date(this.clock.now()).toISOString(), command, ...extra };
    this.log.push(entry);
    this.emit('command', entry);
  }

  private unsupported(kind: 'basic' | 'intermediate', opcode1: number, opcode2: number) {
    switch (this.variants.unsupported) {
      case 'link-nak-06':
        return { link: 'nak' as const, reason: LinkNak.UnsupportedMessageType };
      case 'link-nak-07':
        return { link: 'nak' as const, reason: LinkNak.RequestNotSupported };
      case 'silent':
        return { link: 'silent' as const };
      default:
        return {
          link: 'ack' as const,
          reply: kind === 'basic' ? appNak(0x01) : intermediateReply(opcode1, opcode2, 0x01),
        };
    }
  }

  private commodityRecords(): CommodityRecord[] {
    const t = this.tank;
    const present = this.variants.commodity7 === 'take' ? t.takeWh : t.storedWh;
    const records: CommodityRecord[] = [
      { code: 0, measured: true, instantaneous: t.powerW, cumulative: t.electricWh },
      { code: 6, measured: false, instantaneous: 0, cumulative: t.capacityWh },
      { code: 7, measured: false, instantaneous: 0, cumulative: present },
    ];
    if (this.capabilityBitmap & (1 << 6)) {
      const aluPresent =
        this.variants.commodity7 === 'take' ? Math.max(0, t.aluCapacityWh - t.storedWh) : t.storedWh;
      records.push(
        { code: 10, measured: false, instantaneous: 0, cumulative: t.aluCapacityWh },
        { code: 11, measured: false, instantaneous: 0, cumulative: aluPresent },
      );
    }
    return records;
  }

  private onMessage(msg: Cta2045Message) {
    this.advance();
    switch (msg.kind) {
      case 'mtsq': {
        const [a, b] = msg.messageType;
        return a === 0x08 && b >= 1 && b <= 3
          ? { link: 'ack' as const }
          : { link: 'nak' as const, reason: LinkNak.UnsupportedMessageType };
      }
      case 'datalink':
        switch (msg.opcode1) {
          case 0x18:
            return { link: 'ack' as const, reply: frameMaxPayload(this.options.maxPayload ?? 128) };
          case 0x19:
            this.peerMaxPayload = MAX_PAYLOAD_SIZES[msg.opcode2] ?? this.peerMaxPayload;
            return { link: 'ack' as const };
          case 0x17:
            return msg.opcode2 === 0
              ? { link: 'ack' as const }
              : { link: 'nak' as const, reason: LinkNak.RequestNotSupported };
          case 0x16:
            return { link: 'nak' as const, reason: LinkNak.RequestNotSupported };
          default:
            return { link: 'nak' as const, reason: LinkNak.UnsupportedMessageType };
        }
      case 'basic':
        return this.onBasic(msg.opcode1, msg.opcode2);
      case 'intermediate':
        return this.onIntermediate(msg.opcode1, msg.opcode2, msg.reply, msg.data);
      default:
        return { link: 'nak' as const, reason: LinkNak.UnsupportedMessageType };
    }
  }

  private onBasic(op1: number, op2: number) {
    const now = this.clock.now();
    const mode = MODE_COMMAND[op1];
    if (mode) {
      const seconds = durationSeconds(op2);
      this.record(mode, { opcode2: op2, durationSeconds: seconds });
      if (this.customerOverride && this.variants.overrideNaks)
        return { link: 'ack' as const, reply: appNak(0x05) };
      // A new command replaces the running one; 0 = unknown duration = until further notice.
      const expires = seconds === null || seconds === Infinity ? null : now + seconds * 1000;
      this.setMode(mode, expires, 'command');
      return { link: 'ack' as const, reply: appAck(op1) };
    }
    switch (op1) {
      case Basic.EndShed:
        this.record('normal', { opcode2: op2 });
        this.setMode('normal', null, 'end shed');
        return { link: 'ack' as const, reply: appAck(op1) };
      case Basic.OutsideCommStatus:
        if (op2 > 2) return { link: 'ack' as const, reply: appNak(0x02) };
        this.record(['outside-comm-lost', 'outside-comm-found', 'outside-comm-poor'][op2], { opcode2: op2 });
        this.outsideComm = op2;
        if (op2 === 0) {
          this.setMode('normal', null, 'outside communication lost');
        } else this.lastCommAt = this.linkClock.now();
        return { link: 'ack' as const, reply: appAck(op1) };
      case Basic.OperationalStateQuery:
        return { link: 'ack' as const, reply: operationalStateResponse(this.operationalState()) };
      case Basic.AppAck:
      case Basic.AppNak:
        return { link: 'ack' as const };
      case Basic.CustomerOverride:
        return { link: 'ack' as const, reply: appAck(op1) };
      default:
        if (ACK_ONLY.has(op1)) {
          this.record(`basic-0x${op1.toString(16).padStart(2, '0')}`, { opcode2: op2 });
          return { link: 'ack' as const, reply: appAck(op1) };
        }
        return this.unsupported('basic', op1, op2);
    }
  }

  private onIntermediate(op1: number, op2: number, reply: boolean, data: Uint8Array) {
    if (reply) return { link: 'ack' as const };
    const key = (op1 << 8) | op2;
    switch (key) {
      case 0x0101:
        return {
          link: 'ack' as const,
          reply: deviceInfoReply({
            responseCode: 0,
            ctaVersion: 'B',
            vendorId: 0,
            deviceType: 0x0003,
            deviceRevision: 1,
            capabilityBitmap: this.capabilityBitmap,
            model: this.options.model ?? 'SIM-HPWH-50',
            serial: this.options.serial ?? '0000000001',
            firmwareDate: { year: 2025, month: 0, day: 15 },
            firmwareVersion: '1.0',
          }),
        };
      case 0x0103:
        if (data.length !== 2) return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x03) };
        if (data[1]) this.capabilityBitmap |= 1 << data[0];
        else this.capabilityBitmap &= ~(1 << data[0]);
        return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x00) };
      case 0x0200:
        if (data.length >= 6) {
          this.record('set-utc-time', {});
          decodeUtcTime(data);
          return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x00) };
        }
        return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x03) };
      case 0x0303:
        return {
          link: 'ack' as const,
          reply: temperatureReply(0x03, 0x0003, 'F', cToF(this.tank.params.setpointC)),
        };
      case 0x0304:
        return {
          link: 'ack' as const,
          reply: temperatureReply(0x04, 0x0003, 'F', cToF(this.tank.temperatureC)),
        };
      case 0x0600:
        return { link: 'ack' as const, reply: commodityReply(this.commodityRecords()) };
      case 0x0c00:
        return this.onAdvancedLoadUp(op1, op2, data);
      default:
        return this.unsupported('intermediate', op1, op2);
    }
  }

  private onAdvancedLoadUp(op1: number, op2: number, data: Uint8Array) {
    if (!this.variants.advancedLoadUp) return this.unsupported('intermediate', op1, op2);
    if (data.length === 0) {
      const extra = Math.round(this.tank.aluExtraWh);
      const minutes = this.expiresAt
        ? Math.max(0, Math.round((this.expiresAt - this.clock.now()) / 60000))
        : 0;
      const q = extra > 0xfffe ? { value: Math.ceil(extra / 1000), units: 3 } : { value: extra, units: 0 };
      return {
        link: 'ack' as const,
        reply: intermediateReply(op1, op2, 0, [
          minutes >> 8,
          minutes & 0xff,
          q.value >> 8,
          q.value & 0xff,
          q.units,
        ]),
      };
    }
    if (!(this.capabilityBitmap & (1 << 6)))
      return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x08) };
    let req: ReturnType<typeof decodeAdvancedLoadUpRequest>;
    try {
      req = decodeAdvancedLoadUpRequest(data);
    } catch {
      return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x03) };
    }
    if (req.value === 0 || req.units > 3)
      return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x02) };
    const extraWh = req.value * 10 ** req.units;
    this.record('advanced-loadup', { durationSeconds: req.durationMinutes * 60, extraWh });
    if (this.customerOverride && this.variants.overrideNaks) {
      return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x07) };
    }
    const expires = req.durationMinutes ? this.clock.now() + req.durationMinutes * 60_000 : null;
    this.setMode('advanced-loadup', expires, 'ALU');
    this.tank.aluExtraWh = extraWh;
    return { link: 'ack' as const, reply: intermediateReply(op1, op2, 0x00) };
  }

  // -------------------------------------------------------------------------------------------
  // Test hooks: things a real appliance does on its own

  /** The customer presses override (or releases it); the SGD tells the UCM. */
  setCustomerOverride(on: boolean): void {
    this.customerOverride = on;
    void this.endpoint?.send(
      customerOverrideFrame(on),
      (m) => m.kind === 'basic' && m.opcode1 === Basic.AppAck,
    );
  }

  /** Power cycle: the event is forgotten and the SGD runs its own start-up query (unless silent). */
  reboot(options: { silent?: boolean } = {}): void {
    this.advance();
    this.setMode('normal', null, 'reboot');
    this.record('reboot');
    // Some appliances come back without asking anything: only their state gives them away.
    if (options.silent) return;
    void this.endpoint?.send(maxPayloadQuery(), (m) => m.kind === 'datalink' && m.opcode1 === 0x19);
  }

  /** Send the present operational state unsolicited. */
  announceOperationalState(): void {
    void this.endpoint?.send(operationalStateResponse(this.operationalState()), (m) => m.kind === 'basic');
  }

  /** Log entries of the DR commands that change the heater's mode. */
  commandLog(): SimulatorLogEntry[] {
    const dr = new Set(['shed', 'normal', 'loadup', 'advanced-loadup', 'critical-peak', 'grid-emergency']);
    return this.log.filter((e) => dr.has(e.command));
  }
}

function frameMaxPayload(bytes: number): Uint8Array {
  return maxPayloadResponse(maxPayloadCode(bytes));
}

function cToF(c: number): number {
  return Math.round((c * 9) / 5 + 32);
}

/**
 * The UCM application layer over one LinkEndpoint: commands with their expected responses,
 * the start-up handshake, and answers to what the SGD sends on its own (operational state,
 * customer override, type-support and max-payload queries, get UTC time).
 *
 * Every command resolves to a CommandResult; nothing here throws on wire trouble, so an
 * unsupported message (link NAK 06/07, App NAK 01, Intermediate rc 01, or silence) ends the
 * transaction cleanly whatever variant the appliance implements.
 */
import { EventEmitter } from 'events';
import {
  APP_NAK_NAMES,
  appAck,
  Basic,
  basic,
  commodityReadRequest,
  CommodityRecord,
  Cta2045Message,
  decodeCommodityReply,
  decodeDeviceInfo,
  deviceInfoRequest,
  DeviceInfo,
  durationByte,
  durationSeconds,
  INTERMEDIATE_RC_NAMES,
  intermediateReply,
  LINK_NAK_NAMES,
  LinkNak,
  MAX_PAYLOAD_SIZES,
  maxPayloadCode,
  maxPayloadQuery,
  maxPayloadResponse,
  messageTypeSupportedQuery,
  MessageType,
  MSG_BASIC,
  MSG_DATALINK,
  MSG_INTERMEDIATE,
  operationalStateName,
  operationalStateQuery,
  outsideCommStatus,
  setAdvancedLoadUp,
  toHex,
  utcTimeReply,
  aluQuantity,
  decodeAdvancedLoadUpReply,
} from './codec';
import { Clock, realClock } from './clock';
import { LinkEndpoint, LinkEndpointOptions, RequestDecision, SendResult } from './link';
import { Transport } from './transport';

export type CommandOutcome = 'acked' | 'nak' | 'timeout' | 'link-down';

export interface CommandResult {
  /** Command name: 'shed', 'normal', 'loadup', 'advanced-loadup', 'critical-peak', ... */
  command: string;
  outcome: CommandOutcome;
  /** Why it was NAKed or timed out, in words. */
  reason?: string;
  /** Frame sent, as hex. */
  frame: string;
  attempts: number;
  durationSeconds?: number | null;
  /** Link clock ms from first write to the application response. */
  latencyMs?: number;
}

export interface HandshakeResult {
  dataLinkSupported: boolean;
  intermediateSupported: boolean;
  sgdMaxPayload: number;
  deviceInfo: DeviceInfo | null;
  advancedLoadUpSupported: boolean;
}

export interface CommodityReading {
  records: CommodityRecord[];
  powerW: number | null;
  totalEnergyWh: number | null;
  capacityWh: number | null;
  /** Code 7 as read: whether it is take or stored depends on the appliance (configurable). */
  presentWh: number | null;
}

export interface UcmOptions extends LinkEndpointOptions {
  /** Our own max payload (answered to the SGD's 0x18 query). Default 4096. */
  ownMaxPayload?: number;
  /** Clock for UTC time replies (the schedule clock, so a scaled simulation stays coherent). */
  wallClock?: Clock;
}

/**
 * Events: 'operational-state' (code, name, unsolicited), 'customer-override' (boolean),
 * 'sgd-restart' (the SGD ran its own start-up queries), 'closed'.
 */
export class Cta2045Ucm extends EventEmitter {
  readonly endpoint: LinkEndpoint;
  /** The SGD's max payload; 2 until it answers our query (docs 1.7). */
  sgdMaxPayload = 2;
  private readonly wallClock: Clock;
  private readonly ownMaxPayload: number;

  constructor(transport: Transport, options: UcmOptions = {}) {
    super();
    this.wallClock = options.wallClock ?? realClock;
    this.ownMaxPayload = options.ownMaxPayload ?? 4096;
    this.endpoint = new LinkEndpoint(transport, (msg) => this.onSgdMessage(msg), {
      ...options,
      maxPayload: this.ownMaxPayload,
    });
    this.endpoint.on('closed', () => this.emit('closed'));
  }

  get closed(): boolean {
    return this.endpoint.closed;
  }

  close(): void {
    this.endpoint.shutdown();
  }

  // -------------------------------------------------------------------------------------------
  // What the SGD sends on its own

  private onSgdMessage(msg: Cta2045Message): RequestDecision {
    switch (msg.kind) {
      case 'basic':
        if (msg.opcode1 === Basic.OperationalStateResponse) {
          this.emit('operational-state', msg.opcode2, operationalStateName(msg.opcode2), true);
          return { link: 'ack', reply: appAck(Basic.OperationalStateResponse) };
        }
        if (msg.opcode1 === Basic.CustomerOverride) {
          this.emit('customer-override', msg.opcode2 === 1);
          return { link: 'ack', reply: appAck(Basic.CustomerOverride) };
        }
        // Late App ACK/NAKs (after our timeout) only need the link ACK.
        if (msg.opcode1 === Basic.AppAck || msg.opcode1 === Basic.AppNak) return { link: 'ack' };
        if (msg.opcode1 === Basic.Sleep || msg.opcode1 === Basic.Wake) {
          return { link: 'ack', reply: appAck(msg.opcode1) };
        }
        return { link: 'nak', reason: LinkNak.RequestNotSupported };
      case 'mtsq': {
        const [a, b] = msg.messageType;
        this.emit('sgd-restart', 'type-support query');
        const ours = a === 0x08 && b >= 0x01 && b <= 0x03;
        return ours ? { link: 'ack' } : { link: 'nak', reason: LinkNak.UnsupportedMessageType };
      }
      case 'datalink':
        if (msg.opcode1 === 0x18) {
          this.emit('sgd-restart', 'max payload query');
          return { link: 'ack', reply: maxPayloadResponse(maxPayloadCode(this.ownMaxPayload)) };
        }
        if (msg.opcode1 === 0x19) {
          this.sgdMaxPayload = MAX_PAYLOAD_SIZES[msg.opcode2] ?? this.sgdMaxPayload;
          return { link: 'ack' };
        }
        return { link: 'nak', reason: LinkNak.RequestNotSupported };
      case 'intermediate':
        if (msg.reply) return { link: 'ack' };
        if (msg.opcode1 === 0x02 && msg.opcode2 === 0x00 && msg.data.length === 0) {
          return { link: 'ack', reply: utcTimeReply(new Date(this.wallClock.now())) };
        }
        return { link: 'ack', reply: intermediateReply(msg.opcode1, msg.opcode2, 0x01) };
      default:
        return { link: 'nak', reason: LinkNak.UnsupportedMessageType };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /** Send a Basic DR command; the App ACK must name its opcode, an App NAK gives the reason. */
  async basicCommand(command: string, opcode1: number, opcode2: number): Promise<CommandResult> {
    const bytes = basic(opcode1, opcode2);
    // An App ACK names the opcode it acknowledges: one for another opcode is a late answer to
    // an earlier command (sent after that command timed out), not this command's answer. It is
    // left to the request handler (link ACK only) and we keep waiting for ours. An App NAK
    // carries only a reason, so any App NAK answers the pending command.
    const r = await this.endpoint.send(
      bytes,
      (m) =>
        m.kind === 'basic' &&
        ((m.opcode1 === Basic.AppAck && m.opcode2 === opcode1) || m.opcode1 === Basic.AppNak),
    );
    const base = { command, frame: toHex(bytes), attempts: r.attempts, latencyMs: r.responseMs };
    if (r.outcome === 'response' && r.response?.kind === 'basic') {
      if (r.response.opcode1 === Basic.AppAck) return { ...base, outcome: 'acked' };
      return {
        ...base,
        outcome: 'nak',
        reason: `App NAK: ${APP_NAK_NAMES[r.response.opcode2] ?? r.response.opcode2}`,
      };
    }
    return { ...base, ...linkFailure(r) };
  }

  /** A duration command (Shed, Load Up, CPP, Grid Emergency) for `seconds` (rounded up). */
  async durationCommand(command: string, opcode1: number, seconds: number): Promise<CommandResult> {
    const n = durationByte(seconds);
    const result = await this.basicCommand(command, opcode1, n);
    return { ...result, durationSeconds: durationSeconds(n) };
  }

  shed(seconds: number): Promise<CommandResult> {
    return this.durationCommand('shed', Basic.Shed, seconds);
  }
  loadUp(seconds: number): Promise<CommandResult> {
    return this.durationCommand('loadup', Basic.LoadUp, seconds);
  }
  criticalPeak(seconds: number): Promise<CommandResult> {
    return this.durationCommand('critical-peak', Basic.CriticalPeak, seconds);
  }
  gridEmergency(seconds: number): Promise<CommandResult> {
    return this.durationCommand('grid-emergency', Basic.GridEmergency, seconds);
  }
  endShed(): Promise<CommandResult> {
    return this.basicCommand('normal', Basic.EndShed, 0);
  }
  outsideComm(status: 0 | 1 | 2): Promise<CommandResult> {
    const name = ['outside-comm-lost', 'outside-comm-found', 'outside-comm-poor'][status];
    return this.basicCommand(name, Basic.OutsideCommStatus, status).then((r) => ({
      ...r,
      frame: toHex(outsideCommStatus(status)),
    }));
  }

  /** Advanced Load Up: minutes and extra Wh; rc != 0 is a NAK with the response-code name. */
  async advancedLoadUp(durationMinutes: number, extraWh: number): Promise<CommandResult> {
    const { value, units } = aluQuantity(extraWh);
    const bytes = setAdvancedLoadUp(Math.min(0xffff, Math.max(0, Math.round(durationMinutes))), value, units);
    const r = await this.endpoint.send(
      bytes,
      (m) => m.kind === 'intermediate' && m.reply && m.opcode1 === 0x0c && m.opcode2 === 0x00,
    );
    const base = {
      command: 'advanced-loadup',
      frame: toHex(bytes),
      attempts: r.attempts,
      latencyMs: r.responseMs,
      durationSeconds: durationMinutes * 60,
    };
    if (r.outcome === 'response' && r.response?.kind === 'intermediate') {
      const rc = decodeAdvancedLoadUpReply(r.response.data).responseCode;
      if (rc === 0) return { ...base, outcome: 'acked' };
      return {
        ...base,
        outcome: 'nak',
        reason: `response code ${rc}: ${INTERMEDIATE_RC_NAMES[rc] ?? 'unknown'}`,
      };
    }
    return { ...base, ...linkFailure(r) };
  }

  /** Operational state query; null when the SGD does not answer. */
  async queryOperationalState(): Promise<{ code: number; name: string } | null> {
    const r = await this.endpoint.send(
      operationalStateQuery(),
      (m) =>
        m.kind === 'basic' && (m.opcode1 === Basic.OperationalStateResponse || m.opcode1 === Basic.AppNak),
    );
    if (r.outcome !== 'response' || r.response?.kind !== 'basic') return null;
    if (r.response.opcode1 !== Basic.OperationalStateResponse) return null;
    return { code: r.response.opcode2, name: operationalStateName(r.response.opcode2) };
  }

  async commodityRead(): Promise<CommodityReading | null> {
    const r = await this.endpoint.send(
      commodityReadRequest(),
      (m) => m.kind === 'intermediate' && m.reply && m.opcode1 === 0x06 && m.opcode2 === 0x00,
    );
    if (r.outcome !== 'response' || r.response?.kind !== 'intermediate') return null;
    const { responseCode, records } = decodeCommodityReply(r.response.data);
    if (responseCode !== 0) return null;
    const find = (code: number): CommodityRecord | undefined => records.find((x) => x.code === code);
    return {
      records,
      powerW: find(0)?.instantaneous ?? null,
      totalEnergyWh: find(0)?.cumulative ?? null,
      capacityWh: find(6)?.cumulative ?? null,
      presentWh: find(7)?.cumulative ?? null,
    };
  }

  async typeSupported(type: MessageType): Promise<boolean | null> {
    const r = await this.endpoint.send(messageTypeSupportedQuery(type));
    if (r.outcome === 'link-acked') return true;
    if (r.outcome === 'link-nak') return false;
    return null;
  }

  async queryMaxPayload(): Promise<number | null> {
    const r = await this.endpoint.send(maxPayloadQuery(), (m) => m.kind === 'datalink' && m.opcode1 === 0x19);
    if (r.outcome !== 'response' || r.response?.kind !== 'datalink') return null;
    return MAX_PAYLOAD_SIZES[r.response.opcode2] ?? null;
  }

  async queryDeviceInfo(): Promise<DeviceInfo | null> {
    const r = await this.endpoint.send(
      deviceInfoRequest(),
      (m) => m.kind === 'intermediate' && m.reply && m.opcode1 === 0x01 && m.opcode2 === 0x01,
    );
    if (r.outcome !== 'response' || r.response?.kind !== 'intermediate') return null;
    try {
      const info = decodeDeviceInfo(r.response.data);
      return info.responseCode === 0 ? info : null;
    } catch {
      return null;
    }
  }

  /**
   * Start-up handshake (docs 4.2): MTSQ data-link, max payload, MTSQ intermediate, device info.
   * Throws only when the SGD does not answer at all (the link is not up).
   */
  async handshake(): Promise<HandshakeResult> {
    const dataLink = await this.typeSupported(MSG_DATALINK);
    if (dataLink === null) {
      // Some SGDs only speak Basic DR: one more chance with the Basic type before giving up.
      const basicOk = await this.typeSupported(MSG_BASIC);
      if (basicOk === null) throw new Error('the water heater does not answer (no link ACK)');
    }
    if (dataLink) {
      const max = await this.queryMaxPayload();
      if (max !== null) this.sgdMaxPayload = max;
    }
    const intermediate = (await this.typeSupported(MSG_INTERMEDIATE)) === true;
    // Device info needs a 53-byte reply; we accept it whatever the SGD's own limit is.
    const deviceInfo = intermediate ? await this.queryDeviceInfo() : null;
    return {
      dataLinkSupported: dataLink === true,
      intermediateSupported: intermediate,
      sgdMaxPayload: this.sgdMaxPayload,
      deviceInfo,
      // ALU needs an 8-byte payload at the SGD and capability bit 6.
      advancedLoadUpSupported:
        intermediate && this.sgdMaxPayload >= 8 && !!deviceInfo?.advancedLoadUpSupported,
    };
  }

  /** Wire-level details for a frame sent as a raw transaction (tests, benchmarks). */
  sendRaw(bytes: Uint8Array, expect: ((m: Cta2045Message) => boolean) | null = null): Promise<SendResult> {
    return this.endpoint.send(bytes, expect);
  }
}

function linkFailure(r: SendResult): { outcome: CommandOutcome; reason: string } {
  switch (r.outcome) {
    case 'link-nak':
      return {
        outcome: 'nak',
        reason: `link NAK 0x${(r.nakReason ?? 0).toString(16).padStart(2, '0')}: ${LINK_NAK_NAMES[r.nakReason ?? 0]}`,
      };
    case 'link-timeout':
      return { outcome: 'timeout', reason: `no link ACK after ${r.attempts} tries` };
    case 'response-timeout':
      return { outcome: 'timeout', reason: 'link ACK but no application response within 3 s' };
    case 'closed':
      return { outcome: 'link-down', reason: 'serial link is down; command not sent' };
    default:
      return { outcome: 'nak', reason: `unexpected response` };
  }
}

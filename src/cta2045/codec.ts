/**
 * CTA-2045 byte codec: framing, the Fletcher checksum, duration and relative-price encodings, and
 * encoders/decoders for the Basic DR, Intermediate DR and data-link messages a water-heater UCM
 * uses. Byte-level facts come from docs/cta2045.md (sections 1-3); every frame listed there is a
 * unit-test vector.
 */

export type MessageType = readonly [number, number];

export const MSG_BASIC: MessageType = [0x08, 0x01];
export const MSG_INTERMEDIATE: MessageType = [0x08, 0x02];
export const MSG_DATALINK: MessageType = [0x08, 0x03];
export const MSG_COMMISSIONING: MessageType = [0x08, 0x04];

export const LINK_ACK = Uint8Array.of(0x06, 0x00);

/** Link-layer NAK reasons (second byte of `15 rr`). */
export const LinkNak = {
  NoReason: 0x00,
  InvalidByte: 0x01,
  InvalidLength: 0x02,
  ChecksumError: 0x03,
  Reserved: 0x04,
  MessageTimeout: 0x05,
  UnsupportedMessageType: 0x06,
  RequestNotSupported: 0x07,
} as const;

export const LINK_NAK_NAMES: Record<number, string> = {
  0: 'no reason',
  1: 'invalid byte',
  2: 'invalid length',
  3: 'checksum error',
  4: 'reserved',
  5: 'message timeout',
  6: 'unsupported message type',
  7: 'request not supported',
};

/** Basic DR opcode1 values (section 2.1). */
export const Basic = {
  Shed: 0x01,
  EndShed: 0x02,
  AppAck: 0x03,
  AppNak: 0x04,
  PowerLevel: 0x06,
  PresentRelativePrice: 0x07,
  NextRelativePrice: 0x08,
  TimeRemainingInPricePeriod: 0x09,
  CriticalPeak: 0x0a,
  GridEmergency: 0x0b,
  GridGuidance: 0x0c,
  OutsideCommStatus: 0x0e,
  CustomerOverride: 0x11,
  OperationalStateQuery: 0x12,
  OperationalStateResponse: 0x13,
  Sleep: 0x14,
  Wake: 0x15,
  SimpleTimeSync: 0x16,
  LoadUp: 0x17,
  PendingEventTime: 0x18,
  PendingEventType: 0x19,
  Reboot: 0x1a,
} as const;

export const APP_NAK_NAMES: Record<number, string> = {
  0: 'no reason',
  1: 'opcode1 not supported',
  2: 'opcode2 invalid',
  3: 'busy',
  4: 'length invalid',
  5: 'customer override in effect',
};

/** Intermediate response codes (section 3.1). */
export const INTERMEDIATE_RC_NAMES: Record<number, string> = {
  0: 'success',
  1: 'command not implemented',
  2: 'bad value',
  3: 'command length error',
  4: 'response length error',
  5: 'busy',
  6: 'other error',
  7: 'customer override',
  8: 'command not enabled',
};

export const OutsideComm = { Lost: 0, Found: 1, Poor: 2 } as const;

/** Operational state codes (opcode2 of 0x13, section 2.5). */
export const OPERATIONAL_STATES: readonly string[] = [
  'IdleNormal',
  'RunningNormal',
  'RunningCurtailed',
  'RunningHeightened',
  'IdleCurtailed',
  'SGDError',
  'IdleHeightened',
  'CyclingOn',
  'CyclingOff',
  'VariableFollowing',
  'VariableNotFollowing',
  'IdleOptedOut',
  'RunningOptedOut',
  'RunningPriceStream',
  'IdlePriceStream',
];

export function operationalStateName(code: number): string {
  return OPERATIONAL_STATES[code] ?? `Unknown(${code})`;
}

/** Max-payload codes (data-link 0x19): index = code, value = bytes. */
export const MAX_PAYLOAD_SIZES: readonly number[] = [
  2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1280, 1500, 2048, 4096,
];

export function maxPayloadCode(bytes: number): number {
  let code = 0;
  for (let i = 0; i < MAX_PAYLOAD_SIZES.length; i++) if (MAX_PAYLOAD_SIZES[i] <= bytes) code = i;
  return code;
}

// ---------------------------------------------------------------------------------------------
// Checksum and framing

/** The two checksum bytes (Fletcher-16 variant, seed 0xAA) over `bytes`. */
export function checksum(bytes: ArrayLike<number>, start = 0, end = bytes.length): [number, number] {
  let c1 = 0xaa;
  let c2 = 0;
  for (let i = start; i < end; i++) {
    c1 = (c1 + bytes[i]) % 255;
    c2 = (c2 + c1) % 255;
  }
  const ck1 = 255 - ((c1 + c2) % 255);
  const ck2 = 255 - ((c1 + ck1) % 255);
  return [ck1, ck2];
}

/** True when the running sums over a whole frame (checksum included) end at (0, 0). */
export function checksumValid(frameBytes: ArrayLike<number>): boolean {
  let c1 = 0xaa;
  let c2 = 0;
  for (let i = 0; i < frameBytes.length; i++) {
    c1 = (c1 + frameBytes[i]) % 255;
    c2 = (c2 + c1) % 255;
  }
  return c1 === 0 && c2 === 0;
}

/** Build a frame: type, big-endian payload length, payload, checksum. */
export function frame(messageType: MessageType, payload: ArrayLike<number> = []): Uint8Array {
  if (payload.length > 0xffff) throw new RangeError(`payload of ${payload.length} bytes is too long`);
  const out = new Uint8Array(6 + payload.length);
  out[0] = messageType[0];
  out[1] = messageType[1];
  out[2] = (payload.length >> 8) & 0xff;
  out[3] = payload.length & 0xff;
  for (let i = 0; i < payload.length; i++) out[4 + i] = byte(payload[i], 'payload byte');
  const [ck1, ck2] = checksum(out, 0, 4 + payload.length);
  out[4 + payload.length] = ck1;
  out[5 + payload.length] = ck2;
  return out;
}

export function linkNak(reason: number): Uint8Array {
  return Uint8Array.of(0x15, byte(reason, 'NAK reason'));
}

/** Message Type Supported Query: a header of the queried type with length 0. */
export function messageTypeSupportedQuery(type: MessageType): Uint8Array {
  return frame(type, []);
}

function byte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new RangeError(`${what} must be an integer 0..255, got ${value}`);
  }
  return value;
}

export function toHex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2) throw new Error(`odd number of hex digits in "${hex}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Durations (seconds = 2 N^2) and relative price (RP = (N-1)(N+63)/8192)

/**
 * Duration byte for `seconds`: N = ceil(sqrt(s/2)) so the SGD never reverts early, clamped to
 * 1..254 (0 means "unknown", 255 "more than the maximum": neither is produced here).
 */
export function durationByte(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 1;
  // A tiny epsilon keeps exact squares (1800 s -> 30) from rounding up through float noise.
  const n = Math.ceil(Math.sqrt(seconds / 2) - 1e-9);
  return Math.min(254, Math.max(1, n));
}

/** Seconds a duration byte stands for; null for 0 ("unknown"), Infinity for 255 ("> max"). */
export function durationSeconds(n: number): number | null {
  if (n === 0) return null;
  if (n === 0xff) return Infinity;
  return 2 * n * n;
}

export const MAX_DURATION_SECONDS = 2 * 254 * 254;

/** Relative-price byte; 0xFF when above the largest representable value (~9.79). */
export function relativePriceByte(ratio: number): number {
  if (!Number.isFinite(ratio) || ratio < 0) throw new RangeError(`relative price must be >= 0, got ${ratio}`);
  const n = Math.round((-62 + Math.sqrt(4096 + 32768 * ratio)) / 2);
  if (n > 254) return 0xff;
  return Math.max(1, n);
}

/** Relative price a byte stands for; null for 0 (unknown), Infinity for 0xFF (too large). */
export function relativePrice(n: number): number | null {
  if (n === 0) return null;
  if (n === 0xff) return Infinity;
  return ((n - 1) * (n + 63)) / 8192;
}

// ---------------------------------------------------------------------------------------------
// Basic DR encoders

export function basic(opcode1: number, opcode2 = 0): Uint8Array {
  return frame(MSG_BASIC, [opcode1, opcode2]);
}
export const shed = (seconds: number): Uint8Array => basic(Basic.Shed, durationByte(seconds));
export const endShed = (): Uint8Array => basic(Basic.EndShed, 0);
export const loadUp = (seconds: number): Uint8Array => basic(Basic.LoadUp, durationByte(seconds));
export const criticalPeak = (seconds: number): Uint8Array => basic(Basic.CriticalPeak, durationByte(seconds));
export const gridEmergency = (seconds: number): Uint8Array =>
  basic(Basic.GridEmergency, durationByte(seconds));
export const outsideCommStatus = (status: number): Uint8Array => basic(Basic.OutsideCommStatus, status);
export const operationalStateQuery = (): Uint8Array => basic(Basic.OperationalStateQuery, 0);
export const operationalStateResponse = (code: number): Uint8Array =>
  basic(Basic.OperationalStateResponse, code);
export const appAck = (opcode1: number): Uint8Array => basic(Basic.AppAck, opcode1);
export const appNak = (reason: number): Uint8Array => basic(Basic.AppNak, reason);
export const customerOverride = (inEffect: boolean): Uint8Array =>
  basic(Basic.CustomerOverride, inEffect ? 1 : 0);
export const presentRelativePrice = (ratio: number): Uint8Array =>
  basic(Basic.PresentRelativePrice, relativePriceByte(ratio));
export const gridGuidance = (guidance: 0 | 1 | 2): Uint8Array => basic(Basic.GridGuidance, guidance);

/** Simple time sync: day of week (0 = Sunday) in bits 7-5, hour in bits 4-0. */
export function simpleTimeSync(dayOfWeek: number, hour: number): Uint8Array {
  if (dayOfWeek < 0 || dayOfWeek > 6 || hour < 0 || hour > 23) throw new RangeError('day 0..6, hour 0..23');
  return basic(Basic.SimpleTimeSync, (dayOfWeek << 5) | hour);
}

/** Power level: percent of full power, absorb (consume) or produce. */
export function powerLevel(percent: number, produce = false): Uint8Array {
  // Truncate like the reference implementations (50 % -> 63).
  const level = Math.floor((Math.min(100, Math.max(0, percent)) * 127) / 100);
  return basic(Basic.PowerLevel, (produce ? 0x80 : 0) | level);
}

// ---------------------------------------------------------------------------------------------
// Data-link encoders

export const DataLink = {
  RequestPowerMode: 0x16,
  RequestBitRate: 0x17,
  MaxPayloadQuery: 0x18,
  MaxPayloadResponse: 0x19,
} as const;

export const maxPayloadQuery = (): Uint8Array => frame(MSG_DATALINK, [DataLink.MaxPayloadQuery, 0]);
export const maxPayloadResponse = (code: number): Uint8Array =>
  frame(MSG_DATALINK, [DataLink.MaxPayloadResponse, code]);

// ---------------------------------------------------------------------------------------------
// Intermediate encoders (multi-byte integers big-endian)

export const Intermediate = {
  DeviceInfo: [0x01, 0x01],
  SetCapabilityBit: [0x01, 0x03],
  UtcTime: [0x02, 0x00],
  TemperatureOffset: [0x03, 0x02],
  Setpoints: [0x03, 0x03],
  PresentTemperature: [0x03, 0x04],
  CommodityRead: [0x06, 0x00],
  AdvancedLoadUp: [0x0c, 0x00],
} as const;

/** Seconds between 1970-01-01 and 2000-01-01, the CTA-2045 time epoch. */
export const CTA_EPOCH_OFFSET_SECONDS = 946684800;

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const s8 = (v: number): number => (v < 0 ? v + 256 : v) & 0xff;

export const deviceInfoRequest = (): Uint8Array => frame(MSG_INTERMEDIATE, Intermediate.DeviceInfo);
export const commodityReadRequest = (): Uint8Array => frame(MSG_INTERMEDIATE, Intermediate.CommodityRead);
export const getSetpointRequest = (): Uint8Array => frame(MSG_INTERMEDIATE, Intermediate.Setpoints);
export const presentTemperatureRequest = (): Uint8Array =>
  frame(MSG_INTERMEDIATE, Intermediate.PresentTemperature);
export const getUtcTimeRequest = (): Uint8Array => frame(MSG_INTERMEDIATE, Intermediate.UtcTime);
export const getAdvancedLoadUpRequest = (): Uint8Array =>
  frame(MSG_INTERMEDIATE, Intermediate.AdvancedLoadUp);

export function setCapabilityBit(bit: number, on: boolean): Uint8Array {
  return frame(MSG_INTERMEDIATE, [0x01, 0x03, bit, on ? 1 : 0]);
}

/** Set UTC time (UCM -> SGD): seconds since 2000-01-01 UTC, tz and dst in quarter hours. */
export function setUtcTime(date: Date, tzQuarterHours = 0, dstQuarterHours = 0): Uint8Array {
  const secs = Math.floor(date.getTime() / 1000) - CTA_EPOCH_OFFSET_SECONDS;
  return frame(MSG_INTERMEDIATE, [0x02, 0x00, ...u32(secs), s8(tzQuarterHours), s8(dstQuarterHours)]);
}

/** Get UTC time reply (UCM answering an SGD's request). */
export function utcTimeReply(date: Date, tzQuarterHours = 0, dstQuarterHours = 0): Uint8Array {
  const secs = Math.floor(date.getTime() / 1000) - CTA_EPOCH_OFFSET_SECONDS;
  return frame(MSG_INTERMEDIATE, [0x02, 0x80, 0x00, ...u32(secs), s8(tzQuarterHours), s8(dstQuarterHours)]);
}

/** Generic Intermediate reply carrying only a response code (opcode2 | 0x80). */
export function intermediateReply(
  opcode1: number,
  opcode2: number,
  rc: number,
  data: number[] = [],
): Uint8Array {
  return frame(MSG_INTERMEDIATE, [opcode1, opcode2 | 0x80, rc, ...data]);
}

/** ALU extra-energy units: Wh = value * 10^units, value 1..0xFFFE. Picks the finest unit that fits. */
export function aluQuantity(extraWh: number): { value: number; units: number } {
  const wh = Math.max(1, Math.round(extraWh));
  for (let units = 0; units <= 3; units++) {
    const value = Math.ceil(wh / 10 ** units);
    if (value <= 0xfffe) return { value, units };
  }
  return { value: 0xfffe, units: 3 };
}

/** Set Advanced Load Up: duration minutes (u16), extra energy (value u16 x 10^units Wh). */
export function setAdvancedLoadUp(
  durationMinutes: number,
  value: number,
  units: number,
  efficiency?: number,
): Uint8Array {
  if (!Number.isInteger(durationMinutes) || durationMinutes < 0 || durationMinutes > 0xffff) {
    throw new RangeError(`ALU duration must be 0..65535 minutes, got ${durationMinutes}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`ALU value ${value}`);
  if (!Number.isInteger(units) || units < 0 || units > 3) throw new RangeError(`ALU units ${units}`);
  const payload = [0x0c, 0x00, ...u16(durationMinutes), ...u16(value), units];
  if (efficiency !== undefined) payload.push(byte(efficiency, 'ALU efficiency'));
  return frame(MSG_INTERMEDIATE, payload);
}

export interface DeviceInfo {
  responseCode: number;
  ctaVersion: string;
  vendorId: number;
  deviceType: number;
  deviceRevision: number;
  capabilityBitmap: number;
  advancedLoadUpSupported: boolean;
  model: string;
  serial: string;
  firmwareDate?: { year: number; month: number; day: number };
  firmwareVersion?: string;
}

function ascii(text: string, length: number): number[] {
  const out = new Array<number>(length).fill(0);
  for (let i = 0; i < Math.min(length, text.length); i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

function readAscii(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length && i < bytes.length; i++) {
    if (bytes[i] === 0) continue;
    s += String.fromCharCode(bytes[i]);
  }
  return s.trim();
}

export function deviceInfoReply(info: Omit<DeviceInfo, 'advancedLoadUpSupported'>): Uint8Array {
  const fw = info.firmwareDate ?? { year: 2000, month: 0, day: 1 };
  const [major, minor] = (info.firmwareVersion ?? '0.0').split('.').map((x) => Number(x) || 0);
  return frame(MSG_INTERMEDIATE, [
    0x01,
    0x81,
    info.responseCode,
    ...ascii(info.ctaVersion, 2),
    ...u16(info.vendorId),
    ...u16(info.deviceType),
    ...u16(info.deviceRevision),
    ...u32(info.capabilityBitmap),
    0x00,
    ...ascii(info.model, 16),
    ...ascii(info.serial, 16),
    fw.year - 2000,
    fw.month,
    fw.day,
    major ?? 0,
    minor ?? 0,
  ]);
}

export interface CommodityRecord {
  code: number;
  measured: boolean;
  instantaneous: number;
  cumulative: number;
}

export const Commodity = {
  ElectricityConsumed: 0,
  TotalEnergyStorage: 6,
  PresentEnergyStorage: 7,
  AluTotalEnergyStorage: 10,
  AluPresentEnergyStorage: 11,
} as const;

function u48(v: number): number[] {
  const value = Math.max(0, Math.round(v));
  const hi = Math.floor(value / 2 ** 32);
  return [...u16(hi), ...u32(value >>> 0)];
}

function readU48(b: Uint8Array, at: number): number {
  return (
    (b[at] * 256 + b[at + 1]) * 2 ** 32 +
    ((b[at + 2] << 24) >>> 0) +
    (b[at + 3] << 16) +
    (b[at + 4] << 8) +
    b[at + 5]
  );
}

export function commodityReply(records: CommodityRecord[], rc = 0): Uint8Array {
  const data: number[] = [];
  for (const r of records) {
    data.push((r.measured ? 0x80 : 0) | (r.code & 0x7f), ...u48(r.instantaneous), ...u48(r.cumulative));
  }
  return intermediateReply(0x06, 0x00, rc, data);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export type Cta2045Message =
  | { kind: 'mtsq'; messageType: MessageType }
  | { kind: 'basic'; opcode1: number; opcode2: number }
  | { kind: 'datalink'; opcode1: number; opcode2: number }
  | { kind: 'intermediate'; opcode1: number; opcode2: number; reply: boolean; data: Uint8Array }
  | { kind: 'other'; messageType: MessageType; payload: Uint8Array };

/**
 * Decode a complete, checksum-valid frame (as the parser delivers it). Throws a descriptive
 * error for malformed input: callers on the wire use the parser, which never throws.
 */
export function decodeFrame(bytes: Uint8Array): Cta2045Message {
  if (bytes.length < 6) throw new Error(`frame too short (${bytes.length} bytes)`);
  const len = (bytes[2] << 8) | bytes[3];
  if (bytes.length !== len + 6)
    throw new Error(`frame length field says ${len}, frame has ${bytes.length - 6}`);
  if (!checksumValid(bytes)) throw new Error('frame checksum is wrong');
  const type: MessageType = [bytes[0], bytes[1]];
  if (len === 0) return { kind: 'mtsq', messageType: type };
  const payload = bytes.subarray(4, 4 + len);
  if (type[0] === 0x08 && type[1] === 0x01 && len === 2) {
    return { kind: 'basic', opcode1: payload[0], opcode2: payload[1] };
  }
  if (type[0] === 0x08 && type[1] === 0x03 && len === 2) {
    return { kind: 'datalink', opcode1: payload[0], opcode2: payload[1] };
  }
  if (type[0] === 0x08 && type[1] === 0x02 && len >= 2) {
    return {
      kind: 'intermediate',
      opcode1: payload[0],
      opcode2: payload[1] & 0x7f,
      reply: (payload[1] & 0x80) !== 0,
      data: payload.slice(2),
    };
  }
  return { kind: 'other', messageType: type, payload: payload.slice() };
}

/** Decode a device-information reply's data (after opcode1/opcode2). */
export function decodeDeviceInfo(data: Uint8Array): DeviceInfo {
  // data[0] = rc; offsets below are frame offsets minus 6.
  if (data.length < 1) throw new Error('device info reply has no response code');
  const rc = data[0];
  const rd16 = (at: number): number => (data.length > at + 1 ? (data[at] << 8) | data[at + 1] : 0);
  const cap = data.length >= 13 ? ((data[9] << 24) >>> 0) + (data[10] << 16) + (data[11] << 8) + data[12] : 0;
  const info: DeviceInfo = {
    responseCode: rc,
    ctaVersion: readAscii(data, 1, 2),
    vendorId: rd16(3),
    deviceType: rd16(5),
    deviceRevision: rd16(7),
    capabilityBitmap: cap,
    advancedLoadUpSupported: (cap & (1 << 6)) !== 0,
    model: readAscii(data, 14, 16),
    serial: readAscii(data, 30, 16),
  };
  if (data.length >= 51) {
    info.firmwareDate = { year: 2000 + data[46], month: data[47], day: data[48] };
    info.firmwareVersion = `${data[49]}.${data[50]}`;
  }
  return info;
}

/** Decode a commodity-read reply's data (rc + 13-byte records). */
export function decodeCommodityReply(data: Uint8Array): { responseCode: number; records: CommodityRecord[] } {
  if (data.length < 1) throw new Error('commodity reply has no response code');
  const records: CommodityRecord[] = [];
  for (let at = 1; at + 13 <= data.length; at += 13) {
    records.push({
      code: data[at] & 0x7f,
      measured: (data[at] & 0x80) !== 0,
      instantaneous: readU48(data, at + 1),
      cumulative: readU48(data, at + 7),
    });
  }
  return { responseCode: data[0], records };
}

export interface AdvancedLoadUpSettings {
  responseCode: number;
  durationMinutes?: number;
  value?: number;
  units?: number;
}

export function decodeAdvancedLoadUpReply(data: Uint8Array): AdvancedLoadUpSettings {
  if (data.length < 1) throw new Error('ALU reply has no response code');
  const out: AdvancedLoadUpSettings = { responseCode: data[0] };
  if (data.length >= 6) {
    out.durationMinutes = (data[1] << 8) | data[2];
    out.value = (data[3] << 8) | data[4];
    out.units = data[5];
  }
  return out;
}

/** Decode Set-ALU request data (after 0C 00): duration, value, units, optional efficiency. */
export function decodeAdvancedLoadUpRequest(data: Uint8Array): {
  durationMinutes: number;
  value: number;
  units: number;
  efficiency?: number;
} {
  if (data.length < 5) throw new Error(`ALU request data must be 5 or 6 bytes, got ${data.length}`);
  const out: { durationMinutes: number; value: number; units: number; efficiency?: number } = {
    durationMinutes: (data[0] << 8) | data[1],
    value: (data[2] << 8) | data[3],
    units: data[4],
  };
  if (data.length >= 6) out.efficiency = data[5];
  return out;
}

export interface Temperature {
  responseCode: number;
  deviceType: number;
  units: 'F' | 'C';
  value: number;
  value2?: number;
}

/** Setpoint / present-temperature reply: rc deviceType u16 units value s16 [value2 s16]. */
export function temperatureReply(
  opcode2: 0x03 | 0x04,
  deviceType: number,
  units: 'F' | 'C',
  value: number,
  rc = 0,
): Uint8Array {
  const v = Math.round(value) & 0xffff;
  return intermediateReply(0x03, opcode2, rc, [...u16(deviceType), units === 'C' ? 1 : 0, ...u16(v)]);
}

export function decodeTemperatureReply(data: Uint8Array): Temperature {
  if (data.length < 1) throw new Error('temperature reply has no response code');
  if (data.length < 6) return { responseCode: data[0], deviceType: 0, units: 'F', value: NaN };
  const s16 = (at: number): number => {
    const v = (data[at] << 8) | data[at + 1];
    return v >= 0x8000 ? v - 0x10000 : v;
  };
  const out: Temperature = {
    responseCode: data[0],
    deviceType: (data[1] << 8) | data[2],
    units: data[3] === 1 ? 'C' : 'F',
    value: s16(4),
  };
  if (data.length >= 8) out.value2 = s16(6);
  return out;
}

/** Decode a UTC time payload: u32 seconds since 2000 + tz + dst (quarter hours). */
export function decodeUtcTime(data: Uint8Array): {
  date: Date;
  tzQuarterHours: number;
  dstQuarterHours: number;
} {
  if (data.length < 6) throw new Error(`UTC time needs 6 bytes, got ${data.length}`);
  const secs = ((data[0] << 24) >>> 0) + (data[1] << 16) + (data[2] << 8) + data[3];
  const signed = (b: number): number => (b >= 128 ? b - 256 : b);
  return {
    date: new Date((secs + CTA_EPOCH_OFFSET_SECONDS) * 1000),
    tzQuarterHours: signed(data[4]),
    dstQuarterHours: signed(data[5]),
  };
}

/** Human-readable name of a Basic opcode1, for logs and results. */
export function basicName(opcode1: number): string {
  for (const [name, code] of Object.entries(Basic)) if (code === opcode1) return name;
  return `Basic(0x${opcode1.toString(16)})`;
}

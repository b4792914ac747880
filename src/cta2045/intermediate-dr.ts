/**
 * CTA-2045 Intermediate DR messages (docs/cta2045.md section 3): response codes, device
 * information, commodity read, setpoints and temperatures, UTC time and advanced load up —
 * encoders and decoders. Multi-byte integers are big-endian.
 */
import { byte, frame, MSG_INTERMEDIATE } from './frame';

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

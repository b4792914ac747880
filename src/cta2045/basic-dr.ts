/**
 * CTA-2045 Basic DR messages (docs/cta2045.md section 2): opcodes, application ACK/NAK reasons,
 * operational states, the duration and relative-price byte encodings, and the encoders.
 */
import { frame, MSG_BASIC } from './frame';

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

/** Human-readable name of a Basic opcode1, for logs and results. */
export function basicName(opcode1: number): string {
  for (const [name, code] of Object.entries(Basic)) if (code === opcode1) return name;
  return `Basic(0x${opcode1.toString(16)})`;
}

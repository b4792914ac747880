/**
 * CTA-2045 framing: message types, the link-layer ACK and NAK, the Fletcher checksum, building
 * and decoding a frame, and the data-link messages (maximum payload). Byte-level facts come from
 * docs/cta2045.md (section 1); every frame listed there is a unit-test vector.
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

/** `value` as one byte; a RangeError naming `what` when it is not an integer 0..255. */
export function byte(value: number, what: string): number {
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

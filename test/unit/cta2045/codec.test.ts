import assert from 'assert';
import {
  aluQuantity,
  appAck,
  appNak,
  checksum,
  checksumValid,
  commodityReadRequest,
  commodityReply,
  customerOverride,
  decodeAdvancedLoadUpReply,
  decodeAdvancedLoadUpRequest,
  decodeCommodityReply,
  decodeDeviceInfo,
  decodeFrame,
  decodeTemperatureReply,
  decodeUtcTime,
  deviceInfoReply,
  deviceInfoRequest,
  durationByte,
  durationSeconds,
  endShed,
  frame,
  fromHex,
  getAdvancedLoadUpRequest,
  getSetpointRequest,
  getUtcTimeRequest,
  gridGuidance,
  intermediateReply,
  loadUp,
  maxPayloadCode,
  maxPayloadQuery,
  maxPayloadResponse,
  messageTypeSupportedQuery,
  MSG_BASIC,
  MSG_DATALINK,
  MSG_INTERMEDIATE,
  operationalStateQuery,
  operationalStateResponse,
  outsideCommStatus,
  powerLevel,
  presentTemperatureRequest,
  relativePrice,
  relativePriceByte,
  setAdvancedLoadUp,
  setCapabilityBit,
  setUtcTime,
  shed,
  simpleTimeSync,
  temperatureReply,
  toHex,
} from '../../../src/cta2045/codec';

/** Every frame quoted in docs/cta2045.md section 1.4 (source vectors and worked frames). */
const NOTE_FRAMES = [
  '08 01 00 02 03 0E E9 4F',
  '08 01 00 02 03 0B EF 4C',
  '08 01 00 02 03 07 F7 48',
  '08 01 00 02 03 01 04 42',
  '08 01 00 00 7E CD',
  '08 03 00 02 18 00 BA 75',
  '08 02 00 02 01 01 04 43',
  '08 01 00 02 01 01 0A 3E',
  '08 32 00 02 01 01 E2 34',
  '08 01 00 02 01 00 0C 3D',
  '08 02 00 02 06 00 F6 4C',
  '08 02 00 00 7A D0',
  '08 03 00 00 76 D3',
  '08 03 00 02 19 06 AB 7D',
  '08 03 00 02 19 0D 9D 84',
  '08 01 00 02 0E 01 E2 58',
  '08 01 00 02 0E 00 E4 57',
  '08 01 00 02 01 2B B5 68',
  '08 01 00 02 02 00 09 3F',
  '08 01 00 02 03 02 02 43',
  '08 01 00 02 17 2B 73 94',
  '08 01 00 02 03 17 D7 58',
  '08 01 00 02 17 00 C9 69',
  '08 01 00 02 12 00 D8 5F',
  '08 01 00 02 13 00 D5 61',
  '08 01 00 02 13 01 D3 62',
  '08 01 00 02 13 02 D1 63',
  '08 01 00 02 13 03 CF 64',
  '08 01 00 02 13 04 CD 65',
  '08 01 00 02 13 06 C9 67',
  '08 01 00 02 04 01 01 44',
  '08 01 00 02 04 05 F8 48',
  '08 01 00 02 11 01 D9 5E',
  '08 01 00 02 03 11 E3 52',
  '08 01 00 02 03 13 DF 54',
  '08 01 00 02 16 6E EF D5',
  '08 01 00 02 0C 02 E6 55',
  '08 01 00 02 06 3F 7E 86',
  '08 02 00 02 0C 00 E4 58',
  '08 02 00 07 0C 00 00 3C 00 0A 03 98 56',
  '08 02 00 03 0C 80 00 9B 20',
  '08 02 00 03 0C 80 08 8B 28',
  '08 02 00 08 0C 80 00 00 3C 00 0A 03 C2 AA',
  '08 02 00 04 01 03 06 01 6A D1',
  '08 02 00 02 03 03 F9 49',
  '08 02 00 02 03 04 F7 4A',
  '08 02 00 08 03 83 00 00 03 00 00 78 4D F3',
  '08 02 00 02 02 00 03 44',
  '08 02 00 03 03 83 01 B4 0C',
  '08 02 00 35 01 81 00 42 00 00 00 00 03 00 01 00 00 00 40 00 53 49 4D 2D 48 50 57 48 2D 35 30 00 00 00 00 00 30 30 30 30 30 30 30 30 30 31 00 00 00 00 00 00 19 00 0F 01 00 9B 83',
];

describe('cta2045 codec', () => {
  describe('checksum and frame()', () => {
    it('re-encodes every frame in the notes byte for byte from its type and payload', () => {
      for (const hex of NOTE_FRAMES) {
        const bytes = fromHex(hex);
        assert.ok(checksumValid(bytes), `${hex} self-checks`);
        const payload = bytes.subarray(4, bytes.length - 2);
        assert.strictEqual(toHex(frame([bytes[0], bytes[1]], payload)), hex);
      }
    });

    it('rejects the deliberately bad vector and any single-bit corruption', () => {
      assert.strictEqual(checksumValid(fromHex('08 01 00 02 03 02 04 42')), false);
      const good = fromHex('08 01 00 02 01 2B B5 68');
      for (let i = 0; i < good.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = good.slice();
          bad[i] ^= 1 << bit;
          assert.strictEqual(checksumValid(bad), false, `byte ${i} bit ${bit}`);
        }
      }
    });

    it('computes the checksum bytes over header and payload only', () => {
      assert.deepStrictEqual(checksum(fromHex('08 01 00 02 01 01')), [0x0a, 0x3e]);
    });

    it('refuses payload bytes outside 0..255 with a clear error', () => {
      assert.throws(() => frame(MSG_BASIC, [1, 256]), /payload byte must be an integer 0..255, got 256/);
    });
  });

  describe('durations', () => {
    it('encodes N = ceil(sqrt(s/2)) for the table in the notes', () => {
      const table: Array<[number, number]> = [
        [2, 1],
        [72, 6],
        [300, 13],
        [900, 22],
        [1800, 30],
        [3600, 43],
        [5400, 52],
        [7200, 60],
        [14400, 85],
        [21600, 104],
        [28800, 120],
        [86400, 208],
        [129032, 254],
      ];
      for (const [s, n] of table) assert.strictEqual(durationByte(s), n, `${s} s`);
    });

    it('clamps to 1..254 and never rounds down (the SGD must not revert early)', () => {
      assert.strictEqual(durationByte(0), 1);
      assert.strictEqual(durationByte(-5), 1);
      assert.strictEqual(durationByte(1e9), 254);
      for (let s = 1; s <= 129032; s += 97) {
        const n = durationByte(s);
        assert.ok(durationSeconds(n)! >= s, `${s} s -> ${n}`);
        if (n > 1) assert.ok(durationSeconds(n - 1)! < s, `${s} s -> ${n} is the smallest`);
      }
    });

    it('inverts: 2 N^2 seconds, 0 unknown, 0xFF more than the maximum', () => {
      assert.strictEqual(durationSeconds(43), 3698);
      assert.strictEqual(durationSeconds(0), null);
      assert.strictEqual(durationSeconds(0xff), Infinity);
      for (let n = 1; n <= 254; n++) assert.strictEqual(durationByte(durationSeconds(n)!), n);
    });
  });

  describe('relative price', () => {
    it('matches the worked examples', () => {
      assert.strictEqual(relativePriceByte(1), 0x41);
      assert.strictEqual(relativePriceByte(2), 0x65);
      assert.strictEqual(relativePriceByte(4), 0x99);
      assert.strictEqual(relativePriceByte(0.5), 41);
      assert.strictEqual(relativePrice(0x41), 1);
      assert.ok(Math.abs(relativePrice(0x65)! - 2.002) < 0.001);
      assert.ok(Math.abs(relativePrice(254)! - 9.79) < 0.01);
      assert.strictEqual(relativePrice(0), null);
      assert.strictEqual(relativePriceByte(50), 0xff);
    });
    it('round-trips every byte 1..254', () => {
      for (let n = 1; n <= 254; n++) assert.strictEqual(relativePriceByte(relativePrice(n)!), n);
    });
    it('names the problem for a negative price', () => {
      assert.throws(() => relativePriceByte(-1), /relative price must be >= 0/);
    });
  });

  describe('Basic DR and data-link encoders produce the notes frames', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['08 01 00 02 01 2B B5 68', shed(3600)],
      ['08 01 00 02 02 00 09 3F', endShed()],
      ['08 01 00 02 17 2B 73 94', loadUp(3600)],
      ['08 01 00 02 0E 01 E2 58', outsideCommStatus(1)],
      ['08 01 00 02 0E 00 E4 57', outsideCommStatus(0)],
      ['08 01 00 02 12 00 D8 5F', operationalStateQuery()],
      ['08 01 00 02 13 04 CD 65', operationalStateResponse(4)],
      ['08 01 00 02 03 01 04 42', appAck(1)],
      ['08 01 00 02 04 05 F8 48', appNak(5)],
      ['08 01 00 02 11 01 D9 5E', customerOverride(true)],
      ['08 01 00 02 16 6E EF D5', simpleTimeSync(3, 14)],
      ['08 01 00 02 0C 02 E6 55', gridGuidance(2)],
      ['08 01 00 02 06 3F 7E 86', powerLevel(50)],
      ['08 01 00 00 7E CD', messageTypeSupportedQuery(MSG_BASIC)],
      ['08 02 00 00 7A D0', messageTypeSupportedQuery(MSG_INTERMEDIATE)],
      ['08 03 00 00 76 D3', messageTypeSupportedQuery(MSG_DATALINK)],
      ['08 03 00 02 18 00 BA 75', maxPayloadQuery()],
      ['08 03 00 02 19 06 AB 7D', maxPayloadResponse(maxPayloadCode(128))],
      ['08 03 00 02 19 0D 9D 84', maxPayloadResponse(maxPayloadCode(4096))],
      ['08 02 00 02 01 01 04 43', deviceInfoRequest()],
      ['08 02 00 02 06 00 F6 4C', commodityReadRequest()],
      ['08 02 00 02 0C 00 E4 58', getAdvancedLoadUpRequest()],
      ['08 02 00 07 0C 00 00 3C 00 0A 03 98 56', setAdvancedLoadUp(60, 10, 3)],
      ['08 02 00 03 0C 80 00 9B 20', intermediateReply(0x0c, 0x00, 0)],
      ['08 02 00 03 0C 80 08 8B 28', intermediateReply(0x0c, 0x00, 8)],
      ['08 02 00 08 0C 80 00 00 3C 00 0A 03 C2 AA', intermediateReply(0x0c, 0x00, 0, [0, 0x3c, 0, 0x0a, 3])],
      ['08 02 00 04 01 03 06 01 6A D1', setCapabilityBit(6, true)],
      ['08 02 00 02 03 03 F9 49', getSetpointRequest()],
      ['08 02 00 02 03 04 F7 4A', presentTemperatureRequest()],
      ['08 02 00 08 03 83 00 00 03 00 00 78 4D F3', temperatureReply(0x03, 0x0003, 'F', 120)],
      ['08 02 00 02 02 00 03 44', getUtcTimeRequest()],
      ['08 02 00 03 03 83 01 B4 0C', intermediateReply(0x03, 0x03, 1)],
    ];
    for (const [hex, bytes] of cases) {
      it(hex, () => assert.strictEqual(toHex(bytes), hex));
    }
  });

  describe('decoders', () => {
    it('decodes Basic, data-link, MTSQ and Intermediate frames', () => {
      assert.deepStrictEqual(decodeFrame(fromHex('08 01 00 02 01 2B B5 68')), {
        kind: 'basic',
        opcode1: 1,
        opcode2: 0x2b,
      });
      assert.deepStrictEqual(decodeFrame(fromHex('08 03 00 02 19 0D 9D 84')), {
        kind: 'datalink',
        opcode1: 0x19,
        opcode2: 0x0d,
      });
      assert.deepStrictEqual(decodeFrame(fromHex('08 02 00 00 7A D0')), {
        kind: 'mtsq',
        messageType: [8, 2],
      });
      const alu = decodeFrame(fromHex('08 02 00 03 0C 80 08 8B 28'));
      assert.ok(alu.kind === 'intermediate' && alu.reply && alu.opcode1 === 0x0c && alu.opcode2 === 0);
      assert.deepStrictEqual(decodeAdvancedLoadUpReply(alu.data), { responseCode: 8 });
    });

    it('names what is wrong with a malformed frame', () => {
      assert.throws(() => decodeFrame(fromHex('08 01 00')), /frame too short/);
      assert.throws(() => decodeFrame(fromHex('08 01 00 03 01 2B B5 68')), /length field says 3/);
      assert.throws(() => decodeFrame(fromHex('08 01 00 02 01 2B B5 69')), /checksum is wrong/);
    });

    it('decodes the device-info reply from the notes and re-encodes it', () => {
      const hex = NOTE_FRAMES[NOTE_FRAMES.length - 1];
      const msg = decodeFrame(fromHex(hex));
      assert.ok(msg.kind === 'intermediate' && msg.reply);
      const info = decodeDeviceInfo(msg.data);
      assert.strictEqual(info.responseCode, 0);
      assert.strictEqual(info.ctaVersion, 'B');
      assert.strictEqual(info.deviceType, 0x0003);
      assert.strictEqual(info.deviceRevision, 0x0001);
      assert.strictEqual(info.capabilityBitmap, 0x40);
      assert.strictEqual(info.advancedLoadUpSupported, true);
      assert.strictEqual(info.model, 'SIM-HPWH-50');
      assert.strictEqual(info.serial, '0000000001');
      assert.deepStrictEqual(info.firmwareDate, { year: 2025, month: 0, day: 15 });
      assert.strictEqual(info.firmwareVersion, '1.0');
      assert.strictEqual(toHex(deviceInfoReply(info)), hex);
    });

    it('round-trips commodity records including 48-bit values and the measured bit', () => {
      const records = [
        { code: 0, measured: true, instantaneous: 480, cumulative: 123456789012 },
        { code: 6, measured: false, instantaneous: 0, cumulative: 9167 },
        { code: 7, measured: false, instantaneous: 0, cumulative: 2500 },
      ];
      const bytes = commodityReply(records);
      assert.strictEqual(bytes.length, 6 + 3 + 13 * 3);
      const msg = decodeFrame(bytes);
      assert.ok(msg.kind === 'intermediate');
      assert.deepStrictEqual(decodeCommodityReply(msg.data), { responseCode: 0, records });
    });

    it('decodes setpoint, ALU and UTC payloads', () => {
      const sp = decodeFrame(fromHex('08 02 00 08 03 83 00 00 03 00 00 78 4D F3'));
      assert.ok(sp.kind === 'intermediate');
      assert.deepStrictEqual(decodeTemperatureReply(sp.data), {
        responseCode: 0,
        deviceType: 3,
        units: 'F',
        value: 120,
      });
      const set = decodeFrame(fromHex('08 02 00 07 0C 00 00 3C 00 0A 03 98 56'));
      assert.ok(set.kind === 'intermediate');
      assert.deepStrictEqual(decodeAdvancedLoadUpRequest(set.data), {
        durationMinutes: 60,
        value: 10,
        units: 3,
      });
      const date = new Date('2026-11-27T18:00:00Z');
      const utc = decodeFrame(setUtcTime(date, -32, 4));
      assert.ok(utc.kind === 'intermediate');
      assert.deepStrictEqual(decodeUtcTime(utc.data), { date, tzQuarterHours: -32, dstQuarterHours: 4 });
    });

    it('quantises ALU extra energy into the finest unit that fits', () => {
      assert.deepStrictEqual(aluQuantity(1500), { value: 1500, units: 0 });
      assert.deepStrictEqual(aluQuantity(70000), { value: 7000, units: 1 });
      assert.deepStrictEqual(aluQuantity(10_000_000), { value: 10000, units: 3 });
    });
  });
});

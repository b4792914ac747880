import assert from 'assert';
import { validateModbusConnection } from '../../../src/index';

describe('modbus connection settings', () => {
  it('accepts TCP and RTU settings', () => {
    assert.deepStrictEqual(
      validateModbusConnection({ transport: 'tcp', host: 'plc.local', port: 502, unitId: 1 }),
      [],
    );
    assert.deepStrictEqual(
      validateModbusConnection({
        transport: 'rtu',
        path: '/dev/ttyUSB0',
        baudRate: 19200,
        unitId: 247,
        timeoutMs: 500,
      }),
      [],
    );
  });

  it('names every bad field, printing NaN from a non-numeric config field as NaN', () => {
    assert.deepStrictEqual(
      validateModbusConnection({ transport: 'tcp', host: ' ', port: NaN, unitId: 256 }),
      [
        'unitId: must be an integer 0..255 (got 256)',
        'host: required for TCP',
        'port: must be an integer 1..65535 (got NaN)',
      ],
    );
    assert.deepStrictEqual(validateModbusConnection({ transport: 'rtu', unitId: 1, timeoutMs: 0 }), [
      'timeoutMs: must be an integer 1..60000 (got 0)',
      'path: serial port path required for RTU',
      'baudRate: must be a positive integer (got undefined)',
    ]);
    assert.deepStrictEqual(validateModbusConnection({ transport: 'udp', unitId: 1 }), [
      'transport: must be "tcp" or "rtu" (got "udp")',
    ]);
  });
});

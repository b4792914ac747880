import assert from 'assert';
import {
  defaultRegisterMap,
  parseRegisterMap,
  RegisterMapError,
  validateRegisterMap,
} from '../../../src/index';
import { rawRegisterValue, writesFor } from '../../../src/modbus/register-map';

const minimal = () => ({
  commands: {
    shed: [{ kind: 'holding', address: 10, value: 1 }],
    normal: [{ kind: 'holding', address: 10, value: 0 }],
    loadup: [{ kind: 'coil', address: 3, value: true }],
  },
  state: [],
});

function errorsOf(input: unknown): string[] {
  const r = validateRegisterMap(input);
  assert.strictEqual(r.valid, false, 'expected the map to be rejected');
  return (r as { errors: string[] }).errors;
}

describe('modbus register map validation', () => {
  it('accepts the example default map and a minimal map', () => {
    assert.strictEqual(validateRegisterMap(defaultRegisterMap).valid, true);
    const r = validateRegisterMap(minimal());
    assert.ok(r.valid);
  });

  it('rejects a non-object and invalid JSON text with a clear message', () => {
    assert.deepStrictEqual(errorsOf([1, 2]), ['register map: must be a JSON object']);
    assert.throws(
      () => parseRegisterMap('{"commands": '),
      (e: RegisterMapError) => {
        assert.ok(e instanceof RegisterMapError);
        assert.match(e.errors[0], /^register map: not valid JSON/);
        return true;
      },
    );
  });

  it('requires shed, normal and loadup and names each missing one', () => {
    const errors = errorsOf({ commands: { shed: minimal().commands.shed } });
    assert.deepStrictEqual(errors, ['commands.normal: required', 'commands.loadup: required']);
  });

  it('names the field of every bad write', () => {
    const map = minimal() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    map.commands.shed = [
      { kind: 'input', address: 1, value: 1 },
      { kind: 'holding', address: 70000, value: 1 },
      { kind: 'holding', address: 5, value: 'hot' },
      { kind: 'coil', address: 5, value: 1 },
      { kind: 'holding', address: 5, value: 50, scale: 0 },
    ];
    map.commands.bogus = [];
    const errors = errorsOf(map);
    assert.deepStrictEqual(errors, [
      'commands.bogus: unknown command (known: shed, normal, loadup, advanced-loadup, critical-peak, grid-emergency)',
      'commands.shed[0].kind: must be "holding" or "coil" (got "input")',
      'commands.shed[1].address: must be an integer 0..65535 (got 70000)',
      'commands.shed[2].value: a holding register takes a number (got "hot")',
      'commands.shed[3].value: a coil takes true or false',
      'commands.shed[4].scale: must be a non-zero number (got 0)',
    ]);
  });

  it('rejects values that do not fit a 16-bit register after scaling', () => {
    const map = minimal();
    map.commands.shed = [{ kind: 'holding', address: 1, value: 7000, scale: 0.1 } as never];
    assert.deepStrictEqual(errorsOf(map), [
      'commands.shed[0].value: 7000 with scale 0.1 is 70000 raw, outside 0..65535',
    ]);
    map.commands.shed = [{ kind: 'holding', address: 1, value: -5, signed: true } as never];
    assert.ok(validateRegisterMap(map).valid, 'signed registers take negative values');
  });

  it('checks state registers: kind, names, words, telemetry fields and state tables', () => {
    const map = minimal() as Record<string, unknown>;
    map.state = [
      { name: 'a', kind: 'holding', address: 1, telemetry: 'operatingState' },
      { name: 'a', kind: 'coil', address: 1, words: 2 },
      { name: 'b', kind: 'register', address: 1 },
      { name: 'c', kind: 'input', address: 1, telemetry: 'temperature' },
      { name: 'd', kind: 'input', address: 2, telemetry: 'powerW' },
      { name: 'e', kind: 'input', address: 3, telemetry: 'powerW', states: { x: 'y' } },
    ];
    assert.deepStrictEqual(errorsOf(map), [
      'state[0].states: required when telemetry is operatingState (raw value → state name)',
      'state[1].name: "a" is used twice',
      'state[1]: words and scale apply to holding/input registers, not coil',
      'state[2].kind: must be "holding", "input", "coil" or "discrete" (got "register")',
      'state[3].telemetry: must be one of operatingState, energyTakeWh, energyStoredWh, capacityWh, powerW, customerOverride (got "temperature")',
      'state[5].states: keys must be integer raw values',
      'state: telemetry field powerW is fed by more than one register',
    ]);
  });

  it('falls back for optional commands: advanced-loadup → loadup, critical-peak/grid-emergency → shed', () => {
    const map = parseRegisterMap(JSON.stringify(minimal()));
    assert.strictEqual(writesFor(map, 'advanced-loadup').command, 'loadup');
    assert.strictEqual(writesFor(map, 'critical-peak').command, 'shed');
    assert.strictEqual(writesFor(map, 'grid-emergency').command, 'shed');
    assert.strictEqual(writesFor(defaultRegisterMap, 'grid-emergency').command, 'grid-emergency');
  });

  it('scales engineering values to raw counts and encodes negatives as two’s complement', () => {
    assert.strictEqual(rawRegisterValue(52.3, 0.1), 523);
    assert.strictEqual(rawRegisterValue(-1, 1, true), 65535);
    assert.match(String(rawRegisterValue(-1, 1, false)), /outside 0\.\.65535/);
  });
});

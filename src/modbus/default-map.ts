/**
 * EXAMPLE register map — not the register layout of any real product.
 *
 * There is no standard Modbus profile for water heaters: every controller (and every Modbus
 * gateway in front of a CTA-2045 port) numbers its registers differently. This map shows the
 * usual shape — a mode register plus a setpoint register in 0.1 °C — so it can be copied and
 * adapted to the real controller's manual. It is what the node uses when its map field is empty,
 * and what the tests' simulated controller implements.
 *
 * Writes (holding registers):
 *   100 mode      0 normal, 1 shed, 2 load up, 3 advanced load up, 4 critical peak, 5 grid emergency
 *   101 setpoint  °C × 10 (normal 50 °C, shed 45, load up 60, advanced load up 65, critical 43, grid 40)
 * Reads:
 *   200 operating state (holding, 0..5 → CTA-2045 style names)
 *   201 tank temperature (input, °C × 10)
 *   202 power (input, W)
 *   203–204 energy stored (input, 32-bit Wh)
 *   205–206 energy take (input, 32-bit Wh: energy needed to reach setpoint)
 *   207 capacity (input, Wh ÷ 10)
 *   0   customer override (coil)
 */
import type { RegisterMap } from './register-map';

const MODE = 100;
const SETPOINT = 101;

function modeAndSetpoint(mode: number, setpointC: number) {
  return [
    { kind: 'holding' as const, address: MODE, value: mode, label: 'mode' },
    { kind: 'holding' as const, address: SETPOINT, value: setpointC, scale: 0.1, label: 'setpoint °C' },
  ];
}

export const defaultRegisterMap: RegisterMap = {
  description: 'EXAMPLE map (mode register 100, setpoint register 101 in 0.1 °C) — adapt to your controller',
  commands: {
    normal: modeAndSetpoint(0, 50),
    shed: modeAndSetpoint(1, 45),
    loadup: modeAndSetpoint(2, 60),
    'advanced-loadup': modeAndSetpoint(3, 65),
    'critical-peak': modeAndSetpoint(4, 43),
    'grid-emergency': modeAndSetpoint(5, 40),
  },
  state: [
    {
      name: 'operatingState',
      kind: 'holding',
      address: 200,
      telemetry: 'operatingState',
      states: {
        '0': 'IdleNormal',
        '1': 'RunningNormal',
        '2': 'IdleCurtailed',
        '3': 'RunningCurtailed',
        '4': 'IdleHeightened',
        '5': 'RunningHeightened',
      },
    },
    { name: 'tankTemperature', kind: 'input', address: 201, scale: 0.1, units: '°C' },
    { name: 'power', kind: 'input', address: 202, units: 'W', telemetry: 'powerW' },
    { name: 'energyStored', kind: 'input', address: 203, words: 2, units: 'Wh', telemetry: 'energyStoredWh' },
    { name: 'energyTake', kind: 'input', address: 205, words: 2, units: 'Wh', telemetry: 'energyTakeWh' },
    { name: 'capacity', kind: 'input', address: 207, scale: 10, units: 'Wh', telemetry: 'capacityWh' },
    { name: 'customerOverride', kind: 'coil', address: 0, telemetry: 'customerOverride' },
  ],
};

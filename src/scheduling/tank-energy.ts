/**
 * Tank state from temperature: the stored energy the schedulers' `initialSoc`, `minStorage` and
 * `maxStorage` mean, for a heater that reports only its water temperature.
 *
 * The schedulers count thermal energy in the tank above the cold-water inlet (kWh). For a tank
 * treated as one mixed volume of water:
 *
 *   E = m · c · (T_tank − T_inlet) / 3600   [kWh, with c in kJ/(kg·K)]
 *
 * with c = 4.186 kJ/(kg·K) and the mass m of the tank's volume at the tank's temperature. By
 * default the density comes from the temperature (Kell's 1975 formula, valid 0–150 °C at
 * atmospheric pressure: 985.7 kg/m³ at 55 °C, 1.4 % less than 1 kg/L); `density: 'nominal'`
 * uses 1 kg/L, the usual back-of-the-envelope figure. A stratified tank holds more usable energy
 * than its single sensor suggests; one temperature is what most heaters report, so that is the
 * model here.
 */

/** Specific heat of liquid water, kJ/(kg·K), as used throughout. */
export const WATER_SPECIFIC_HEAT_KJ_PER_KG_K = 4.186;

/** How the mass of the tank's water is found from its volume. */
export type WaterDensity = 'temperature' | 'nominal';

export interface TankTemperature {
  /** Water volume of the tank in litres, > 0. */
  volumeLiters: number;
  /** Tank water temperature in °C (0–100). */
  tankTempC: number;
  /** Cold-water inlet temperature in °C (0–100): the energy is counted above it. */
  inletTempC: number;
  /** `'temperature'` (default): density from the tank temperature; `'nominal'`: 1 kg/L. */
  density?: WaterDensity;
}

export interface TankReserve {
  volumeLiters: number;
  /** The lowest tank temperature the household should ever get, °C. */
  minTempC: number;
  inletTempC: number;
  density?: WaterDensity;
}

/** Density of liquid water at atmospheric pressure in kg/L (Kell 1975, 0–150 °C). */
export function waterDensityKgPerLiter(tempC: number): number {
  const t = tempC;
  const numerator =
    999.83952 +
    16.945176 * t -
    7.9870401e-3 * t ** 2 -
    46.170461e-6 * t ** 3 +
    105.56302e-9 * t ** 4 -
    280.54253e-12 * t ** 5;
  return numerator / (1 + 16.87985e-3 * t) / 1000;
}

export function fahrenheitToCelsius(tempF: number): number {
  return ((tempF - 32) * 5) / 9;
}

function checked(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${field} must be a finite number of ${field === 'volumeLiters' ? 'litres' : '°C'}`);
  }
  if (value < min || value > max)
    throw new RangeError(`${field} (${value}) must be between ${min} and ${max}`);
  return value;
}

/**
 * Stored energy above the inlet (kWh) of a tank of `volumeLiters` at `tankTempC`. A tank colder
 * than the inlet holds no usable energy: 0, never negative (the schedulers' bounds are ≥ 0).
 * Throws a RangeError naming the field for a non-number, a volume ≤ 0 or a temperature outside
 * 0–100 °C (not liquid water: a sensor fault, not a state to plan from).
 */
export function tankEnergyKwh({ volumeLiters, tankTempC, inletTempC, density }: TankTemperature): number {
  return energyAboveInlet(volumeLiters, ['tankTempC', tankTempC], inletTempC, density);
}

/**
 * The reserve (kWh above the inlet) a tank holds at its minimum temperature: the schedulers'
 * `minStorage` for a household that must never see water colder than `minTempC`.
 */
export function tankReserveKwh({ volumeLiters, minTempC, inletTempC, density }: TankReserve): number {
  return energyAboveInlet(volumeLiters, ['minTempC', minTempC], inletTempC, density);
}

function energyAboveInlet(
  volumeLiters: number,
  [tempField, tempC]: [string, number],
  inletTempC: number,
  density: WaterDensity = 'temperature',
): number {
  const volume = checked('volumeLiters', volumeLiters, Number.MIN_VALUE, 1e6);
  const tank = checked(tempField, tempC, 0, 100);
  const inlet = checked('inletTempC', inletTempC, 0, 100);
  if (density !== 'temperature' && density !== 'nominal') {
    throw new RangeError(`density must be 'temperature' or 'nominal', not ${JSON.stringify(density)}`);
  }
  if (tank <= inlet) return 0;
  const kgPerLiter = density === 'nominal' ? 1 : waterDensityKgPerLiter(tank);
  return (volume * kgPerLiter * WATER_SPECIFIC_HEAT_KJ_PER_KG_K * (tank - inlet)) / 3600;
}

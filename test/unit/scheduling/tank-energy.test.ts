import assert from 'assert';
import { fahrenheitToCelsius, tankEnergyKwh, tankReserveKwh, waterDensityKgPerLiter } from '../../../src';

describe('tank energy from temperature', () => {
  it('reads water density from temperature as the reference tables give it (kg/L, 4 dp)', () => {
    // Reference values of air-free water at 101.325 kPa (CRC Handbook table).
    const table: Array<[number, number]> = [
      [4, 0.99997],
      [20, 0.99821],
      [40, 0.99222],
      [60, 0.9832],
      [80, 0.97179],
      [100, 0.95835],
    ];
    for (const [c, kgPerL] of table)
      assert.ok(Math.abs(waterDensityKgPerLiter(c) - kgPerL) < 5e-5, `${c} °C`);
  });

  it('gives the README worked examples', () => {
    // 200 L at 55 °C over a 15 °C inlet: 200 × 0.98570 × 4.186 × 40 / 3600 = 9.169 kWh.
    assert.strictEqual(
      tankEnergyKwh({ volumeLiters: 200, tankTempC: 55, inletTempC: 15 }).toFixed(3),
      '9.169',
    );
    // The same with 1 kg/L: 200 × 4.186 × 40 / 3600 = 9.302 kWh.
    assert.strictEqual(
      tankEnergyKwh({ volumeLiters: 200, tankTempC: 55, inletTempC: 15, density: 'nominal' }).toFixed(3),
      '9.302',
    );
    // An 80-gallon (303 L) tank at 125 °F over 58 °F inlet water.
    const kwh = tankEnergyKwh({
      volumeLiters: 303,
      tankTempC: fahrenheitToCelsius(125),
      inletTempC: fahrenheitToCelsius(58),
    });
    assert.strictEqual(kwh.toFixed(2), '12.95');
    // Never below 45 °C: the reserve of the 200 L tank.
    assert.strictEqual(
      tankReserveKwh({ volumeLiters: 200, minTempC: 45, inletTempC: 15 }).toFixed(3),
      '6.908',
    );
  });

  it('is linear in volume and in the temperature lift at a fixed density', () => {
    const e = (v: number, t: number) =>
      tankEnergyKwh({ volumeLiters: v, tankTempC: t, inletTempC: 10, density: 'nominal' });
    assert.ok(Math.abs(e(300, 50) - 1.5 * e(200, 50)) < 1e-12);
    assert.ok(Math.abs(e(200, 50) - 2 * e(200, 30)) < 1e-12);
  });

  it('counts no usable energy in a tank at or below the inlet temperature', () => {
    assert.strictEqual(tankEnergyKwh({ volumeLiters: 200, tankTempC: 12, inletTempC: 15 }), 0);
    assert.strictEqual(tankEnergyKwh({ volumeLiters: 200, tankTempC: 15, inletTempC: 15 }), 0);
  });

  it('names the field of a reading that is not liquid water or not a number', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ volumeLiters: 0 }, /^volumeLiters/],
      [{ volumeLiters: Number.NaN }, /^volumeLiters must be a finite number/],
      [{ tankTempC: 130 }, /^tankTempC \(130\) must be between 0 and 100/],
      [{ tankTempC: '55' }, /^tankTempC must be a finite number/],
      [{ inletTempC: -5 }, /^inletTempC/],
      [{ density: 'heavy' }, /^density/],
    ];
    for (const [change, message] of bad) {
      assert.throws(
        () => tankEnergyKwh({ volumeLiters: 200, tankTempC: 55, inletTempC: 15, ...change } as never),
        (err: unknown) => err instanceof RangeError && message.test(err.message),
        JSON.stringify(change),
      );
    }
    assert.throws(
      () => tankReserveKwh({ volumeLiters: 200, minTempC: Infinity, inletTempC: 15 }),
      /^RangeError: minTempC must be a finite number/,
    );
  });
});

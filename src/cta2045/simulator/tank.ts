/**
 * A water-heater tank as one well-mixed energy store (docs/cta2045.md 6.3). Energy is counted
 * above the inlet temperature: stored E in [0, ALU capacity], capacity C at the setpoint.
 * Heating adds heat-pump power x COP; draws and standby loss remove energy. The control band
 * depends on the DR mode, like a real HPWH's controller.
 */
export type SgdMode = 'normal' | 'shed' | 'critical-peak' | 'grid-emergency' | 'loadup' | 'advanced-loadup';

export interface TankParameters {
  volumeL: number;
  setpointC: number;
  inletC: number;
  ambientC: number;
  /** Standby loss coefficient, W/K. */
  uaWPerK: number;
  /** Heat-pump electric input power, W. */
  heatPumpPowerW: number;
  cop: number;
  /** Highest setpoint Advanced Load Up may use. */
  aluMaxSetpointC: number;
  /** Hot-water draw in litres per minute at a moment (simulated time). */
  drawLitresPerMinute: (at: Date) => number;
  /** Initial stored energy as a fraction of capacity. */
  initialFraction: number;
}

const WH_PER_LITRE_KELVIN = 1.163;

/** A morning shower and an evening draw (UTC hours, simulated time). */
export function typicalDrawProfile(at: Date): number {
  const h = at.getUTCHours() + at.getUTCMinutes() / 60;
  if (h >= 6.5 && h < 7) return 6;
  if (h >= 19 && h < 19.5) return 4;
  return 0;
}

export const DEFAULT_TANK: TankParameters = {
  volumeL: 189,
  setpointC: 51.7,
  inletC: 10,
  ambientC: 20,
  uaWPerK: 2,
  heatPumpPowerW: 500,
  cop: 3,
  aluMaxSetpointC: 62,
  drawLitresPerMinute: typicalDrawProfile,
  initialFraction: 0.95,
};

export class TankModel {
  readonly params: TankParameters;
  storedWh: number;
  heating = false;
  /** Electricity consumed since start, Wh. */
  electricWh = 0;
  /** Extra energy an Advanced Load Up asked for, Wh above capacity. */
  aluExtraWh = 0;

  constructor(params: Partial<TankParameters> = {}) {
    this.params = { ...DEFAULT_TANK, ...params };
    this.storedWh = this.capacityWh * this.params.initialFraction;
  }

  get capacityWh(): number {
    const p = this.params;
    return p.volumeL * WH_PER_LITRE_KELVIN * (p.setpointC - p.inletC);
  }

  get aluCapacityWh(): number {
    const p = this.params;
    return p.volumeL * WH_PER_LITRE_KELVIN * (p.aluMaxSetpointC - p.inletC);
  }

  /** Energy the tank can still take up to its normal capacity. */
  get takeWh(): number {
    return Math.max(0, this.capacityWh - this.storedWh);
  }

  get temperatureC(): number {
    return this.params.inletC + this.storedWh / (this.params.volumeL * WH_PER_LITRE_KELVIN);
  }

  get powerW(): number {
    return this.heating ? this.params.heatPumpPowerW : 0;
  }

  /** Upper limit and heat-on threshold for a mode. */
  private band(mode: SgdMode): { on: number; off: number } {
    const c = this.capacityWh;
    switch (mode) {
      case 'shed':
      case 'critical-peak':
      case 'grid-emergency':
        // Curtailed: heat only to keep the tank from running cold.
        return { on: 0.3 * c, off: 0.4 * c };
      case 'loadup':
        return { on: c - 1, off: c };
      case 'advanced-loadup': {
        const target = Math.min(this.aluCapacityWh, c + this.aluExtraWh);
        return { on: target - 1, off: target };
      }
      default:
        return { on: 0.9 * c, off: c };
    }
  }

  /** Advance `seconds` of simulated time starting at `from`, in steps of at most 60 s. */
  advance(seconds: number, from: Date, mode: SgdMode): void {
    const p = this.params;
    let t = from.getTime();
    let left = seconds;
    while (left > 0) {
      const dt = Math.min(60, left);
      const { on, off } = this.band(mode);
      if (this.storedWh < on) this.heating = true;
      if (this.storedWh >= off) this.heating = false;
      const hours = dt / 3600;
      if (this.heating) {
        this.storedWh += p.heatPumpPowerW * p.cop * hours;
        this.electricWh += p.heatPumpPowerW * hours;
        if (this.storedWh >= off) this.heating = false;
      }
      const draw = (p.drawLitresPerMinute(new Date(t)) * dt) / 60;
      const drawWh = draw * WH_PER_LITRE_KELVIN * (this.temperatureC - p.inletC);
      const lossWh = p.uaWPerK * (this.temperatureC - p.ambientC) * hours;
      this.storedWh = Math.min(this.aluCapacityWh, Math.max(0, this.storedWh - drawWh - Math.max(0, lossWh)));
      left -= dt;
      t += dt * 1000;
    }
  }
}

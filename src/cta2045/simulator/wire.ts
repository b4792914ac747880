/**
 * The in-process "simulated water heater" transport: every connection attempt gets a fresh
 * wire pair with the simulator on the far end; `unplug()` pulls the cable (both ends close and
 * attempts fail until `plug()`), like an RS-485 lead coming out.
 */
import { createTransportPair, InProcessTransport, Transport } from '../transport';
import { WaterHeaterSimulator } from './water-heater';

export class SimulatedWire {
  plugged = true;
  private current: InProcessTransport | null = null;

  constructor(readonly simulator: WaterHeaterSimulator) {}

  /** A transport factory for Cta2045Connection. */
  readonly createTransport = (): Transport => {
    const [ucmSide, deviceSide] = createTransportPair('simulated water heater');
    if (!this.plugged) {
      ucmSide.disconnect();
      return ucmSide;
    }
    this.simulator.attach(deviceSide);
    void deviceSide.open();
    this.current = ucmSide;
    return ucmSide;
  };

  unplug(): void {
    this.plugged = false;
    this.current?.disconnect();
    this.current = null;
  }

  plug(): void {
    this.plugged = true;
  }
}

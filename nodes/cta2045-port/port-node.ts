/** What a `cta2045-port` config node offers its client nodes. */
import type { Node } from 'node-red';
import type { Clock, Cta2045Connection, SimulatedWire, WaterHeaterSimulator } from '../../src/cta2045';

export interface Cta2045PortNode extends Node {
  connection: Cta2045Connection | null;
  /** Schedule clock: real time, or scaled for the simulated heater's demo/test mode. */
  clock: Clock;
  simulator: WaterHeaterSimulator | null;
  wire: SimulatedWire | null;
  configError: string | null;
  /** Client nodes hand their shutdown (End Shed, LOST) here so the port closes after it. */
  onShutdown(pending: Promise<unknown>): void;
  /** One heater, one driver: the first cta2045-out to claim the port gets it. */
  claim(nodeId: string): boolean;
  release(nodeId: string): void;
}

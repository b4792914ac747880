/**
 * The telemetry contract: what every output node reports about its water heater and what the
 * openadr3-report node turns into an OpenADR report. Transports add their own fields (the
 * CTA-2045 operational-state code, Modbus register readings) by extending it.
 */
export interface Telemetry {
  /** ISO 8601 time of the reading. */
  time: string;
  /** The heater's own name for its state (e.g. "IdleNormal"); null when it does not say. */
  operatingState: string | null;
  /** Energy the tank can still take up to its set point, Wh. */
  energyTakeWh: number | null;
  /** Energy stored above the inlet temperature, Wh. */
  energyStoredWh: number | null;
  /** Energy stored when full, Wh. */
  capacityWh: number | null;
  /** Electric power now, W. */
  powerW: number | null;
  /** The user changed the heater at its panel; null when unknown. */
  customerOverride: boolean | null;
  /** Transport-specific details (model, link, registers…). */
  device?: Record<string, unknown>;
}

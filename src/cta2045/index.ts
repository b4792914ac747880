/** CTA-2045 UCM: the public names (re-exported from src/index.ts). */
export {
  frame,
  checksum,
  checksumValid,
  durationByte,
  durationSeconds,
  relativePriceByte,
  relativePrice,
  decodeFrame,
  decodeDeviceInfo,
  decodeCommodityReply,
  decodeAdvancedLoadUpReply,
  decodeTemperatureReply,
  decodeUtcTime,
  shed,
  endShed,
  loadUp,
  criticalPeak,
  gridEmergency,
  outsideCommStatus,
  operationalStateQuery,
  operationalStateResponse,
  appAck,
  appNak,
  linkNak,
  LINK_ACK,
  messageTypeSupportedQuery,
  maxPayloadQuery,
  maxPayloadResponse,
  deviceInfoRequest,
  deviceInfoReply,
  commodityReadRequest,
  commodityReply,
  setAdvancedLoadUp,
  getAdvancedLoadUpRequest,
  setCapabilityBit,
  setUtcTime,
  utcTimeReply,
  getSetpointRequest,
  presentTemperatureRequest,
  temperatureReply,
  intermediateReply,
  aluQuantity,
  toHex,
  fromHex,
  operationalStateName,
  OPERATIONAL_STATES,
  MSG_BASIC,
  MSG_INTERMEDIATE,
  MSG_DATALINK,
  Basic,
  LinkNak,
} from './codec';
export type { Cta2045Message, DeviceInfo, CommodityRecord, MessageType } from './codec';
export { FrameParser } from './parser';
export type { ParserEvent, ParserOptions } from './parser';
export { realClock, scaledClock } from './clock';
export type { Clock } from './clock';
export { LinkEndpoint, DEFAULT_TIMING } from './link';
export type { LinkTiming, SendResult, SendOutcome } from './link';
export { Cta2045Ucm } from './ucm';
export type { CommandResult, HandshakeResult, CommodityReading } from './ucm';
export { Cta2045Connection } from './connection';
export type { ConnectionOptions, ConnectionState } from './connection';
// Command names, schedules and telemetry are the device contract (src/device).
export { ScheduleDispatcher, EXPECTED_STATES } from './dispatcher';
export type { Cta2045Telemetry, DispatchRecord, DispatcherOptions, DesiredCommand } from './dispatcher';
export { InProcessTransport, createTransportPair, SerialTransport, listSerialPorts } from './transport';
export type { Transport, SerialTransportOptions } from './transport';
export { WaterHeaterSimulator, DEFAULT_VARIANTS } from './simulator/water-heater';
export type { SimulatorVariants, UnsupportedReaction, SimulatorLogEntry } from './simulator/water-heater';
export { TankModel, DEFAULT_TANK } from './simulator/tank';
export { SimulatedWire } from './simulator/wire';

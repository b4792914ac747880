/**
 * node-red-contrib-openadr3-hpwh — the core, usable without Node-RED.
 *
 * Every name exported here is public API (documented in README "Use without Node-RED").
 * Modules are added by area: openadr/, pricing/, scheduling/, cta2045/, modbus/.
 */
export { PACKAGE_NAME, packageRoot, packageVersion } from './package-info';
export { renderScheduleSvg, SIGNAL_STYLE } from './chart/schedule-svg';
export type { ChartSchedule, ChartInterval, ChartOptions } from './chart/schedule-svg';
export {
  createModbusWaterHeater,
  ModbusWaterHeater,
  defaultRegisterMap,
  validateRegisterMap,
  parseRegisterMap,
  RegisterMapError,
  MODBUS_COMMANDS,
  validateConnection as validateModbusConnection,
  scheduleBlocks as modbusScheduleBlocks,
} from './modbus';
export type {
  ModbusCommand,
  RegisterMap,
  RegisterWrite,
  StateRegister,
  RegisterMapValidation,
  ModbusConnection,
  ModbusWaterHeaterOptions,
  ModbusTelemetry,
  CommandResult as ModbusCommandResult,
} from './modbus';

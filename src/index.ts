/**
 * node-red-contrib-openadr3-hpwh — the core, usable without Node-RED.
 *
 * Every name exported here is public API (documented in README "Use without Node-RED").
 * Modules are added by area: openadr/, pricing/, scheduling/, cta2045/, modbus/.
 */
export { PACKAGE_NAME, packageRoot, packageVersion } from './package-info';
export { renderScheduleSvg, SIGNAL_STYLE } from './chart/schedule-svg';
export type { ChartSchedule, ChartInterval, ChartOptions } from './chart/schedule-svg';

// Time: strict ISO 8601 durations and date-times (shared by every part that reads times).
export { parseIsoDuration, isoDurationToMs, formatIsoDuration } from './time/duration';
export type { IsoDuration } from './time/duration';
export { parseIsoDateTime, formatIsoUtc, calendarDateIn } from './time/datetime';

// Pricing: Olivine eTOU-Dyn (live and simple shapes, OpenADR 3 passthrough) → OpenADR 3 events.
export {
  parseOlivinePrices,
  pricesToOpenAdrEvent,
  detectPriceShape,
  OLIVINE_ETOU_DYN_URL,
  MISSING_PRICE_SENTINEL,
  DEFAULT_PRICE_RANGE,
  PROGRAM_ID_PLACEHOLDER,
} from './pricing/olivine';
export type { OlivinePrices, PriceInterval, PriceShape, PriceRange, ParseOptions } from './pricing/olivine';
export type { OpenAdrEvent } from './pricing/openadr-passthrough';
export { PriceFormatError } from './pricing/json-path';
export { parseVtnComment } from './pricing/vtn-comment';
export { fetchPriceText, PriceFetchError } from './pricing/price-fetch';
export type { FetchOptions, FetchedText } from './pricing/price-fetch';
export {
  describePriceWindow,
  msUntilMinutePastHour,
  shiftPricesTo,
  startOfHour,
} from './pricing/price-summary';
// Scheduling (issue 6): named explicitly so other areas' exports cannot collide silently.
export {
  scheduleLp,
  scheduleHeuristic,
  simulateSoc,
  baselineCost,
  baselineControl,
  toCta2045Signals,
  pricesToCta2045,
  numpyPercentile,
  planFrom,
  normalizeParams,
  SchedulingParamsError,
  solveExact,
  solveWithLpSolver,
  greedyOrder,
  isFeasible,
  unitCosts,
  buildSparseModel,
  LP_SOLVER_PRECISION,
  clipOverflow,
  findViolations,
  seedFallback,
  buildResult,
  intervalCosts,
  energyTolerance,
  requiredLevelAfter,
  scheduleTimeline,
  paramsForTimeline,
  resolveHeater,
  runScheduler,
  toPriceTimeline,
  drawForIntervals,
  checkTimeZone,
  RESIDENTIAL_DRAW_SHAPE,
  DEFAULT_HEATER,
  DEFAULT_SIGNAL_THRESHOLDS,
  DEFAULT_PRICE_PERCENTILES,
  CTA2045_SIGNAL_NAMES,
  CTA2045_SHED,
  CTA2045_NORMAL,
  CTA2045_LOAD_UP,
  CTA2045_ADVANCED_LOAD_UP,
} from './scheduling';
export type {
  SchedulerParams,
  SeedParams,
  NormalizedParams,
  PerInterval,
  ScheduleResult,
  Algorithm,
  LpEngine,
  LpOptions,
  Violation,
  ViolationKind,
  Cta2045Signal,
  SignalThresholds,
  PricePercentiles,
  PriceSignals,
  PriceInterval as TimelinePriceInterval,
  TimelineOptions,
  DrawProfileName,
  HeaterSettings,
  ScheduleInterval,
  SchedulePayload,
  ScheduleOptions,
  PlanState,
  Plan,
} from './scheduling';

// CTA-2045 (src/cta2045/): codec, stream parser, link layer, UCM, dispatcher, simulator.
export * from './cta2045';
export { loadSpec, type OpenAdrSpec, type SpecOperation, type ValidationIssue } from './openadr/spec';
export {
  createVtn,
  DEFAULT_BASE_PATH,
  DEFAULT_BASE_PATH_31,
  DEFAULT_PORT,
  DEMO_CLIENTS,
  parseClients,
  SqliteStore,
  PostgresStore,
  StoreUnavailable,
  isPostgresUrl,
  redactUrl,
  usesDemoSecrets,
  ChangeStats,
  formatChangeStats,
  parseChangeStats,
  type ChangeStatsSnapshot,
  type Vtn,
  type VtnOptions,
  type VtnStore,
  type StoreHealth,
  type Change,
  type ClientConfig,
} from './openadr/vtn';
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
// OpenADR 3 VEN / BL client (issue 4). Explicit names, so other areas' exports cannot collide;
// everything else (durations, normalisers, model types) is in './openadr/client'.
export {
  createVenClient,
  eventsToPriceTimeline,
  eventSpan,
  createPricePoller,
  diffEvents,
  selectProgram,
  publishEvent,
  upsertProgram,
  ensureProgram,
  deleteEndedEvents,
  readTelemetry,
  buildReport,
  upsertTelemetryReport,
  pickEvent,
  registerVen,
  ensureEventSubscription,
  startMqttPush,
  discoverNotifiers,
  OpenAdrError as OpenAdrClientError,
} from './openadr/client';
export type {
  VenClient,
  VenClientOptions,
  VenClientAuth,
  ClientHealth,
  PriceSlot,
  PriceTimeline,
  TimelineOptions as PriceTimelineOptions,
  PollResult,
  PricePoller,
  EventChanges,
  PublishOptions,
  PublishResult,
  Telemetry,
  ReportOptions,
  OpenReportState,
  MqttPush,
  MqttPushOptions,
} from './openadr/client';
// The 3.0.1 ↔ 3.1.0 mapping the VTN's 3.1.0 view uses (documented in the README).
export { bodyTo31, requestTo301, targetsTo301, targetsTo31 } from './openadr/vtn/v31/convert';

/**
 * node-red-contrib-openadr3-hpwh — the core, usable without Node-RED.
 *
 * Every name exported here is public API: docs/api.md documents each, the README's "Use without
 * Node-RED" names the main ones. Internals stay importable from their modules, not from here.
 * Exports are grouped by area in pipeline order: time, pricing, scheduling, device, cta2045,
 * openadr (VTN, client, local), modbus, tls.
 */
// The package itself.
export { PACKAGE_NAME, packageRoot, packageVersion } from './package-info';
// Pictures: a schedule as an SVG chart (prices, heat-pump output, tank level, signals).
export { renderScheduleSvg, SIGNAL_STYLE } from './chart/schedule-svg';
export type { ChartSchedule, ChartInterval, ChartOptions } from './chart/schedule-svg';

// Time: ISO 8601 durations and date-times, each with a strict reading (what users type and price
// feeds must get right) and a tolerant one (what OpenADR servers send).
export {
  parseIsoDuration,
  parseIsoDurationTolerant,
  isoDurationToMs,
  addIsoDuration,
  formatIsoDuration,
} from './time/duration';
export type { IsoDuration, TolerantIsoDuration } from './time/duration';
export { parseIsoDateTime, parseIsoDateTimeTolerant, formatIsoUtc, calendarDateIn } from './time/datetime';

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
export { fetchPriceText, PriceFetchError, DEFAULT_MAX_PRICE_BYTES } from './pricing/price-fetch';
export type { FetchOptions, FetchedText } from './pricing/price-fetch';
export {
  describePriceWindow,
  msUntilMinutePastHour,
  shiftPricesTo,
  startOfHour,
} from './pricing/price-summary';
// Size limits checked before work that grows faster than its input (and the defaults).
export { DEFAULT_LIMITS, LIMITS_SETTING, MAX_COMMAND_SECONDS, checkDepth } from './limits';
export type { PackLimits } from './limits';
// Scheduling: the least-cost plan (exact LP or javascript-lp-solver) and the greedy heuristic of
// the Annex 96 hot-water reference implementation, with their parameters (camelCase or the
// reference's snake_case), the tank simulation and the cost of heating just in time.
export {
  scheduleLp,
  scheduleHeuristic,
  normalizeParams,
  SchedulingParamsError,
  simulateSoc,
  baselineCost,
  baselineControl,
} from './scheduling';
export type {
  SchedulerParams,
  ReferenceParams,
  NormalizedParams,
  PerInterval,
  ScheduleResult,
  Algorithm,
  LpEngine,
  LpOptions,
  Violation,
  ViolationKind,
} from './scheduling';
// Planning on a price timeline: a timeline from any price input, heater settings and their
// defaults, draw profiles, and the plan from now on (what the scheduler nodes do).
export {
  toPriceTimeline,
  scheduleTimeline,
  paramsForTimeline,
  planFrom,
  checkTimeZone,
  drawForIntervals,
  RESIDENTIAL_DRAW_SHAPE,
  DEFAULT_HEATER,
} from './scheduling';
export type {
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
// CTA-2045 signals from a schedule or straight from prices.
export {
  toCta2045Signals,
  pricesToCta2045,
  DEFAULT_SIGNAL_THRESHOLDS,
  DEFAULT_PRICE_PERCENTILES,
  CTA2045_SIGNAL_NAMES,
  CTA2045_SHED,
  CTA2045_NORMAL,
  CTA2045_LOAD_UP,
  CTA2045_ADVANCED_LOAD_UP,
} from './scheduling';
export type { Cta2045Signal, SignalThresholds, PricePercentiles, PriceSignals } from './scheduling';
// Tank state from temperature: the stored energy above the inlet (what initialSoc, minStorage and
// maxStorage mean) for a heater that reports only its temperature.
export {
  tankEnergyKwh,
  tankReserveKwh,
  waterDensityKgPerLiter,
  fahrenheitToCelsius,
  WATER_SPECIFIC_HEAT_KJ_PER_KG_K,
} from './scheduling';
export type { TankTemperature, TankReserve, WaterDensity } from './scheduling';

// Device contract (src/device/): command names, the signal → command map, the schedule parser,
// the telemetry type (cta2045-out, hpwh-modbus-out and openadr3-report share it) and the
// schedule runner every output node drives its transport from.
export {
  COMMAND_NAMES,
  SIGNAL_COMMAND,
  COMMAND_SIGNAL,
  COMMAND_FALLBACK,
  isCommandName,
  checkDurationSeconds,
  parseSingleCommand,
  parseSchedule,
  parseSchedulePayload,
  isSchedulePayload,
  mergeBlocks,
  ScheduleRunner,
  DeviceDispatch,
  shapeMessage,
  setpointAction,
  parseSetpointConfig,
  parseSgReadyMap,
  limitSgReady,
  SG_READY_RELAYS,
  DEFAULT_SG_READY_MAP,
  DEFAULT_SG_READY_LIMITS,
  OUTPUT_SHAPES,
} from './device';
export type {
  CommandName,
  SingleCommand,
  ScheduleBlock,
  ScheduleInterval as DeviceScheduleInterval,
  Telemetry,
  DueCommand,
  ManualCommand,
  RunnerOptions,
  DeviceDispatchOptions,
  DispatchEmission,
  DispatchMemory,
  DispatchMessage,
  LimitWarning,
  OutputShape,
  SetpointConfig,
  HomeAssistantAction,
  SgReadyState,
  SgReadyMap,
  SgReadyLimits,
  LockHistory,
} from './device';
// CTA-2045 (src/cta2045/): codec, stream parser, link layer, UCM, dispatcher, simulator.
export * from './cta2045';
// OpenADR 3.0.1 VTN: the normative spec it validates against, the server, its stores (SQLite,
// PostgreSQL), clients and limits, change statistics and the callback and TLS policies.
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
  clientAddress,
  callbackUrlProblem,
  DEFAULT_VTN_LIMITS,
  DEFAULT_QUOTA,
  type CallbackPolicy,
  type VtnLimits,
  type QuotaOptions,
  type QuotaRate,
  type ThrottleOptions,
  isLoopbackHost,
  parsePublicUrl,
  plainHttpRefusal,
  MIN_TLS_VERSION,
  type VtnTlsOptions,
} from './openadr/vtn';
// TLS: development certificates (a local CA and the server certificate it signs), and TLS
// failures in words (self-signed, expired, hostname mismatch…).
export {
  ensureDevCertificate,
  createCertificateAuthority,
  issueCertificate,
  createSelfSignedCertificate,
  localNames,
  type DevCertificate,
  type PemPair,
  type CertificateOptions,
} from './tls/certificates';
export { tlsProblem, type TlsProblem } from './tls/errors';
// Modbus output: a water heater behind a register map (TCP or RTU), the map's validation, and
// the schedule as blocks of one command.
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
// OpenADR 3 VEN / BL client. Explicit names, so other areas' exports cannot collide;
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
  VenClientTls,
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
  ReportOptions,
  OpenReportState,
  MqttPush,
  MqttPushOptions,
} from './openadr/client';
// The 3.0.1 ↔ 3.1.0 mapping the VTN's 3.1.0 view uses (each choice in docs/vtn.md, "How 3.1.0 maps
// onto the stored objects").
export { bodyTo31, requestTo301, targetsTo301, targetsTo31 } from './openadr/vtn/v31/convert';
// Local operation (3.1.0 "Local Scenarios"): announce a VTN on the LAN (mDNS / DNS-SD), find
// announced VTNs, resolve .local names, and the local price (docs/local.md).
export {
  announceVtn,
  VtnAnnouncer,
  browseVtns,
  watchVtns,
  resolveVtn,
  resolveLocalHost,
  VtnNotFoundError,
  computeLocalPrice,
  localPriceEvent,
  localPriceProgram,
  OPENADR3_SERVICE,
} from './openadr/local';
export type {
  AnnouncedVtn,
  VtnAnnouncement,
  VtnAnnounceOptions,
  BrowseOptions,
  VtnWatch,
  EmissionsPoint,
  LocalPriceSlot,
  LocalPriceResult,
} from './openadr/local';
// Resolving names on the LAN the way the VEN client does (mDNS for .local, else the system).
export { localLookup } from './openadr/local/lookup';

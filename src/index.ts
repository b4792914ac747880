/**
 * node-red-contrib-openadr3-hpwh — the core, usable without Node-RED.
 *
 * Every name exported here is public API (documented in README "Use without Node-RED").
 * Modules are added by area: openadr/, pricing/, scheduling/, cta2045/, modbus/.
 */
export { PACKAGE_NAME, packageRoot, packageVersion } from './package-info';
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
  OpenAdrError as OpenAdrClientError,
} from './openadr/client';
export type {
  VenClient,
  VenClientOptions,
  VenClientAuth,
  ClientHealth,
  PriceSlot,
  PriceTimeline,
  TimelineOptions,
  PollResult,
  PricePoller,
  EventChanges,
  PublishOptions,
  PublishResult,
  Telemetry,
  ReportOptions,
  OpenReportState,
} from './openadr/client';

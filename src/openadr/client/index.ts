export { createVenClient, MAX_PAGE_SIZE } from './client';
export type {
  ApiVersion,
  ClientHealth,
  HealthState,
  RequestOptions,
  VenClient,
  VenClientAuth,
  VenClientOptions,
  VenClientTls,
} from './client';
export { OpenAdrError } from './errors';
export type { OpenAdrErrorKind } from './errors';
export { eventsToPriceTimeline, eventSpan } from './timeline';
export type { PriceSlot, PriceTimeline, TimelineOptions } from './timeline';
export { createPricePoller, diffEvents, selectProgram, ProgramNotFoundError } from './poller';
export type { EventChanges, PollResult, PricePoller, PricePollerOptions } from './poller';
export { normalizeEvent, normalizeProgram, normalizeReport } from './normalize';
export {
  addDuration,
  isBeginningOfTime,
  isInfiniteDuration,
  parseDateTime,
  parseDuration,
  formatDurationMs,
} from './duration';
export { publishEvent, upsertProgram, ensureProgram, deleteEndedEvents, isPlaceholderId } from './publish';
export type { PublishOptions, PublishResult } from './publish';
export {
  buildReport,
  upsertTelemetryReport,
  readTelemetry,
  pickEvent,
  toOperatingState,
  telemetryInterval,
  REPORT_PAYLOAD_DESCRIPTORS,
} from './report';
export type { Telemetry, ReportOptions, OpenReportState } from './report';
export type * from './types';
export { registerVen, ensureEventSubscription } from './subscribe';
export type { WebhookSubscriptionOptions } from './subscribe';
export { discoverNotifiers, mqttTopicFilters, brokerOptions, startMqttPush } from './push-mqtt';
export type {
  MqttNotifierAuthentication,
  MqttNotifierBinding,
  MqttPush,
  MqttPushOptions,
  MqttPushState,
  Notifiers,
} from './push-mqtt';
export { VenSession, PUSH_MODES } from './session';
export type {
  LogHook,
  LogLevel,
  PollRequest,
  PushMode,
  PushProblem,
  PushState,
  VenSessionOptions,
  WebhookSettings,
} from './session';

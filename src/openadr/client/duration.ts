/**
 * The client's names for the tolerant readings of ISO 8601 durations and date-times, which live
 * in src/time/ (one parser for the whole pack). OpenADR servers send `P0Y0M0DT1H0M0S`,
 * zone-less `2026-02-18 21:40:18` and `P9999Y` for "infinity" (User Guide 7.3).
 */
export {
  parseIsoDurationTolerant as parseDuration,
  addIsoDuration as addDuration,
  durationMsAt as durationMs,
  formatIsoDurationOrInfinity as formatDurationMs,
  isInfiniteDuration,
} from '../../time/duration';
export type { TolerantIsoDuration as ParsedDuration } from '../../time/duration';
export {
  parseIsoDateTimeTolerant as parseDateTime,
  toIsoUtcClamped as toIsoUtc,
  isBeginningOfTime,
} from '../../time/datetime';

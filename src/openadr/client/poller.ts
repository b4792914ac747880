/**
 * One poll of a VTN for a VEN: select the program (by name or id), read all its events (paged),
 * detect added / changed (by modificationDateTime) / removed events, and compute the price
 * timeline. Remembers the last good result so a caller can keep serving it while the VTN is
 * unreachable (and recompute "now" from it).
 */
import type { VenClient } from './client';
import { eventsToPriceTimeline, PriceTimeline, TimelineOptions } from './timeline';
import type { OpenAdrEvent, Program } from './types';

export interface EventChanges {
  added: OpenAdrEvent[];
  changed: OpenAdrEvent[];
  removed: OpenAdrEvent[];
}

export interface PollResult {
  program: Program | null;
  events: OpenAdrEvent[];
  changes: EventChanges;
  /** True when any event was added, changed or removed (always true on the first poll). */
  eventsChanged: boolean;
  timeline: PriceTimeline;
  /** True when the timeline's intervals differ from the previous poll's. */
  timelineChanged: boolean;
  polledAt: string;
}

export interface PricePollerOptions {
  client: VenClient;
  /** Select the program by name (programName) … */
  programName?: string;
  /** … or by id. With neither, every event on the VTN is used. */
  programID?: string;
  payloadType?: string;
  timeline?: Omit<TimelineOptions, 'now' | 'programs' | 'payloadType'>;
  now?: () => number;
}

function eventKey(e: OpenAdrEvent, index: number): string {
  if (e.id !== undefined && e.id !== null) return `id:${String(e.id)}`;
  if (e.eventName) return `name:${e.eventName}`;
  return `index:${index}`;
}

function versionOf(e: OpenAdrEvent): string {
  // Servers that do not stamp modificationDateTime: compare the content instead.
  return typeof e.modificationDateTime === 'string' && e.modificationDateTime
    ? e.modificationDateTime
    : JSON.stringify(e);
}

export function diffEvents(previous: OpenAdrEvent[], current: OpenAdrEvent[]): EventChanges {
  const before = new Map(previous.map((e, i) => [eventKey(e, i), e]));
  const after = new Map(current.map((e, i) => [eventKey(e, i), e]));
  const changes: EventChanges = { added: [], changed: [], removed: [] };
  for (const [key, e] of after) {
    const old = before.get(key);
    if (!old) changes.added.push(e);
    else if (versionOf(old) !== versionOf(e)) changes.changed.push(e);
  }
  for (const [key, e] of before) if (!after.has(key)) changes.removed.push(e);
  return changes;
}

/**
 * The configured program is not (yet) on the VTN: usual while a publisher is starting up, so the
 * VEN waits for it rather than treating it as a failure.
 */
export class ProgramNotFoundError extends Error {
  override name = 'ProgramNotFoundError';
}

export function selectProgram(
  programs: Program[],
  by: { programName?: string; programID?: string },
): Program | null {
  if (!by.programName && !by.programID) return null;
  const found = programs.find((p) =>
    by.programID ? String(p.id) === String(by.programID) : p.programName === by.programName,
  );
  if (!found) {
    const names = programs.map((p) => p.programName).filter(Boolean);
    const wanted = by.programID ? `id "${by.programID}"` : `"${by.programName}"`;
    throw new ProgramNotFoundError(
      `program ${wanted} not found on the VTN (it has ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'no programs'})`,
    );
  }
  return found;
}

export interface PricePoller {
  poll(): Promise<PollResult>;
  /** The last successful poll, if any. */
  lastGood(): PollResult | undefined;
  /** The last good events' timeline recomputed for the current time (for when the VTN is down). */
  timelineFromLastGood(): PriceTimeline | undefined;
}

export function createPricePoller(options: PricePollerOptions): PricePoller {
  const now = options.now ?? Date.now;
  let last: PollResult | undefined;
  const timelineFor = (events: OpenAdrEvent[], program: Program | null, programs: Program[]): PriceTimeline =>
    eventsToPriceTimeline(events, {
      ...options.timeline,
      now: now(),
      programs: program ? [program] : programs,
      payloadType: options.payloadType,
    });
  let lastPrograms: Program[] = [];
  return {
    async poll() {
      const programs = await options.client.getAllPrograms();
      const program = selectProgram(programs, options);
      const query = program?.id !== undefined ? { programID: String(program.id) } : {};
      let events = await options.client.getAllEvents(query);
      // Some servers ignore the programID filter: apply it here too.
      if (program?.id !== undefined)
        events = events.filter((e) => String(e.programID) === String(program.id));
      const changes = diffEvents(last?.events ?? [], events);
      const timeline = timelineFor(events, program, programs);
      const result: PollResult = {
        program,
        events,
        changes,
        eventsChanged: !last || changes.added.length + changes.changed.length + changes.removed.length > 0,
        timeline,
        timelineChanged:
          !last || JSON.stringify(last.timeline.intervals) !== JSON.stringify(timeline.intervals),
        polledAt: new Date(now()).toISOString(),
      };
      last = result;
      lastPrograms = programs;
      return result;
    },
    lastGood: () => last,
    timelineFromLastGood: () => (last ? timelineFor(last.events, last.program, lastPrograms) : undefined),
  };
}

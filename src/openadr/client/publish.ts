/**
 * Business-logic side: put an event (e.g. a day of prices from olivine-prices) on a VTN.
 * Ensures its program exists (created by name from a template when missing), then creates the
 * event or replaces the one with the same eventName in that program, and optionally deletes
 * events that ended more than N days ago.
 */
import type { VenClient } from './client';
import { eventSpan } from './timeline';
import type { OpenAdrEvent, Program } from './types';
import { OpenAdrError } from './errors';

export interface PublishOptions {
  /** The program to publish into (found or created by this name). */
  programName?: string;
  /** Fields for a program created because it was missing (program_pricing.json shape). */
  programTemplate?: Partial<Program>;
  /** Delete events of the program that ended more than this many days ago. */
  retentionDays?: number;
  now?: () => number;
}

export interface PublishResult {
  /** The stored object as the VTN returned it. */
  stored: OpenAdrEvent | Program;
  kind: 'event' | 'program';
  action: 'created' | 'replaced' | 'unchanged';
  program: Program;
  programCreated: boolean;
  /** Ids of events deleted by retention. */
  deleted: string[];
}

const SERVER_FIELDS = ['id', 'createdDateTime', 'modificationDateTime', 'objectType'];

function clientFields<T extends object>(obj: T): T {
  const copy = { ...obj } as Record<string, unknown>;
  for (const f of SERVER_FIELDS) delete copy[f];
  return copy as T;
}

/** Find a program by name, creating it (from the template) when it is missing. */
export async function ensureProgram(
  client: VenClient,
  programName: string,
  template: Partial<Program> = {},
): Promise<{ program: Program; created: boolean }> {
  const byName = async (): Promise<Program | undefined> =>
    (await client.getAllPrograms()).find((p) => p.programName === programName);
  const found = await byName();
  if (found) return { program: found, created: false };
  try {
    const program = await client.createProgram(clientFields({ ...template, programName } as Program));
    return { program, created: true };
  } catch (err) {
    // Another writer (a second flow, another Node-RED) created it since we looked: use theirs.
    const raced = isConflict(err) ? await byName() : undefined;
    if (raced) return { program: raced, created: false };
    throw err;
  }
}

function isConflict(err: unknown): boolean {
  return err instanceof OpenAdrError && err.status === 409;
}

/** Create the program, or replace the stored one with the same programName. */
export async function upsertProgram(client: VenClient, program: Program): Promise<PublishResult> {
  if (!program || typeof program.programName !== 'string' || !program.programName) {
    throw new Error('program.programName is required (a non-empty string)');
  }
  const programs = await client.getAllPrograms();
  const found = programs.find((p) => p.programName === program.programName);
  if (!found) {
    const stored = await client.createProgram(clientFields(program));
    return { stored, kind: 'program', action: 'created', program: stored, programCreated: true, deleted: [] };
  }
  const stored = await client.updateProgram(String(found.id), clientFields({ ...program }));
  return { stored, kind: 'program', action: 'replaced', program: stored, programCreated: false, deleted: [] };
}

export function isPlaceholderId(id: unknown): boolean {
  return typeof id !== 'string' || id === '' || /placeholder/i.test(id);
}

export async function publishEvent(
  client: VenClient,
  event: OpenAdrEvent,
  options: PublishOptions = {},
): Promise<PublishResult> {
  if (!event || typeof event !== 'object' || Array.isArray(event))
    throw new Error('event must be an OpenADR event object');
  if (!Array.isArray(event.intervals)) throw new Error('event.intervals must be an array');
  const programName =
    options.programName ||
    (typeof options.programTemplate?.programName === 'string' ? options.programTemplate.programName : '');
  let program: Program;
  let programCreated = false;
  if (programName) {
    ({ program, created: programCreated } = await ensureProgram(
      client,
      programName,
      options.programTemplate,
    ));
  } else if (!isPlaceholderId(event.programID)) {
    program = await client.getProgram(String(event.programID));
  } else {
    throw new Error(
      'no program: set a program name on the node, or send an event whose programID is a real program id',
    );
  }
  const programID = String(program.id);
  const body = clientFields({ ...event, programID });
  const existing = event.eventName
    ? (await client.getAllEvents({ programID })).find(
        (e) => e.eventName === event.eventName && String(e.programID) === programID,
      )
    : undefined;
  const stored = existing
    ? await client.updateEvent(String(existing.id), body)
    : await client.createEvent(body);
  const deleted =
    options.retentionDays !== undefined && options.retentionDays !== null && options.retentionDays >= 0
      ? await deleteEndedEvents(client, programID, options.retentionDays, options.now, String(stored.id))
      : [];
  return {
    stored,
    kind: 'event',
    action: existing ? 'replaced' : 'created',
    program,
    programCreated,
    deleted,
  };
}

/** Delete the program's events that ended more than `days` ago. Returns the deleted ids. */
export async function deleteEndedEvents(
  client: VenClient,
  programID: string,
  days: number,
  now: () => number = Date.now,
  keepID?: string,
): Promise<string[]> {
  const cutoff = now() - days * 86400000;
  const events = await client.getAllEvents({ programID });
  const deleted: string[] = [];
  for (const e of events) {
    if (e.id === undefined || String(e.id) === keepID) continue;
    const span = eventSpan(e, now());
    if (span && span.end < cutoff) {
      await client.deleteEvent(String(e.id));
      deleted.push(String(e.id));
    }
  }
  return deleted;
}

/**
 * What a PostgreSQL failure means for the VTN: the database is away for now (retry, then 503),
 * the transaction was rolled back (run it again), or a constraint said no (the store's own
 * UniqueViolation / ReferenceViolation, answered 409).
 */
import { type ObjectType, ReferenceViolation, type StoredObject, UniqueViolation } from '../store';

/** Socket errors that mean "the server is not there right now", not "the request is wrong". */
const TRANSIENT_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/**
 * SQLSTATEs of a server going away or coming back: 57P01 admin_shutdown (pg_ctl stop/restart),
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up / shutting down), 53300
 * too_many_connections; class 08 is "connection exception".
 */
const TRANSIENT_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300']);
/** pg's own messages for a lost connection or a pool wait that timed out (they carry no code). */
const TRANSIENT_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Connection ended unexpectedly|not queryable/i;

/** True for failures that a later attempt may not have: the database restarting or unreachable. */
export function isTransientPgError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (TRANSIENT_SOCKET.has(code) || TRANSIENT_SQLSTATE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  if (err instanceof AggregateError) return err.errors.some(isTransientPgError); // connect to localhost: v4 and v6
  return typeof e.message === 'string' && TRANSIENT_MESSAGE.test(e.message);
}

/** 40P01 deadlock_detected, 40001 serialization_failure: the transaction was rolled back. */
export function isRolledBack(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}

/** The request field a foreign key stands for, by constraint and object type. */
const PG_ERROR_FIELD: Record<string, Record<string, string>> = {
  objects_parent_fk: { EVENT: 'programID', REPORT: 'programID', RESOURCE: 'venID' },
  objects_ref_fk: { REPORT: 'eventID' },
};

/**
 * Constraint violations become the store's own errors (409s), everything else passes through.
 * `current` is the object being written (a put) or removed when the statement failed.
 */
export function translateConstraintError(
  err: unknown,
  current: StoredObject | { type: ObjectType; id: string } | undefined,
): unknown {
  const e = err as { code?: string; constraint?: string; table?: string };
  if (e.code === '23505' && e.constraint === 'objects_name' && current && 'name' in current && current.name)
    return new UniqueViolation(current.type, current.name);
  if (e.code === '23503' && current) {
    const isDelete = !('body' in current);
    const field = PG_ERROR_FIELD[e.constraint ?? '']?.[current.type] ?? 'id';
    return isDelete
      ? new ReferenceViolation(
          'id',
          `${current.type.toLowerCase()} ${current.id} is still referenced (another client added to it meanwhile)`,
        )
      : new ReferenceViolation(
          field,
          `the object ${field} names no longer exists (another client deleted it meanwhile)`,
        );
  }
  return err;
}

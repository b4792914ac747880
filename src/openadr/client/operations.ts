/**
 * The typed OpenADR operations of a VEN client (programs, events, reports, subscriptions, VENs
 * and their resources) on top of its requests: object ids checked and escaped, answers checked
 * for shape and normalised (normalize.ts), pagination (`limit` ≤ 50, `skip` until a short page).
 */
import { OpenAdrError } from './errors';
import type { HealthRecord } from './health';
import { normalizeEvent, normalizeObject, normalizeProgram, normalizeReport } from './normalize';
import type { Requester } from './request';
import type { ListQuery, Resource, Subscription, Ven } from './types';
import type { ApiVersion, VenClient } from './client';

export const MAX_PAGE_SIZE = 50;

export type VenOperations = Omit<
  VenClient,
  | 'baseUrl'
  | 'apiVersion'
  | 'anonymous'
  | 'clientId'
  | 'tls'
  | 'tlsVerified'
  | 'tokenUrl'
  | 'getToken'
  | 'invalidateToken'
  | 'request'
  | 'health'
  | 'onHealth'
  | 'close'
>;

const seg = (id: string): string => {
  if (typeof id !== 'string' && typeof id !== 'number')
    throw new Error(`object id must be a string, got ${JSON.stringify(id)}`);
  if (String(id) === '') throw new Error('object id must not be empty');
  return encodeURIComponent(String(id));
};

const describe = (value: unknown): string =>
  value === undefined ? 'an empty body' : Array.isArray(value) ? 'an array' : typeof value;

/** Every page of a list operation, `limit` ≤ 50, until a short page. */
export async function paginate<T>(
  fetchPage: (query: ListQuery) => Promise<T[]>,
  query: ListQuery = {},
  pageSize = MAX_PAGE_SIZE,
): Promise<T[]> {
  const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, pageSize));
  const all: T[] = [];
  for (let skip = query.skip ?? 0, pages = 0; ; pages++) {
    if (pages >= 10000) throw new Error('pagination did not end after 10000 pages');
    const page = await fetchPage({ ...query, skip, limit });
    all.push(...page);
    // A short page is the last one. Some servers ignore `limit` and return everything at once:
    // a page larger than asked for is also the last.
    if (page.length < limit || page.length > limit) return all;
    skip += page.length;
  }
}

/** Answers checked for shape: a wrong one is a 'parse' error, recorded in the health. */
class Shapes {
  constructor(
    private readonly requester: Requester,
    private readonly health: HealthRecord,
  ) {}

  private fail(method: string, path: string, value: unknown, expected: string): never {
    const err = new OpenAdrError(
      'parse',
      `${method} ${path}: expected a JSON ${expected}, got ${describe(value)}`,
      {
        method,
        url: `${this.requester.baseUrl}${path}`,
        body: value,
      },
    );
    this.health.failure(err);
    throw err;
  }

  async list<T>(
    path: string,
    norm: (raw: unknown) => T,
    query?: ListQuery | Record<string, unknown>,
  ): Promise<T[]> {
    const value = await this.requester.request('GET', path, { query });
    if (!Array.isArray(value)) this.fail('GET', path, value, 'array');
    return value.map(norm);
  }

  async one<T>(method: string, path: string, norm: (raw: unknown) => T, body?: unknown): Promise<T> {
    const value = await this.requester.request(method, path, { body });
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(method, path, value, 'object');
    return norm(value);
  }
}

/** get / post / put / delete of one kind of object. */
function crud<T>(shapes: Shapes, norm: (raw: unknown) => T) {
  return {
    get: (path: string) => shapes.one('GET', path, norm),
    post: (path: string, body: unknown) => shapes.one('POST', path, norm, body),
    put: (path: string, body: unknown) => shapes.one('PUT', path, norm, body),
    del: (path: string) => shapes.one('DELETE', path, norm),
  };
}

function lister<T>(shapes: Shapes, path: string, norm: (raw: unknown) => T) {
  return async (query?: ListQuery): Promise<T[]> => {
    if (query?.limit !== undefined && (query.limit < 0 || query.limit > MAX_PAGE_SIZE)) {
      throw new Error(`limit must be between 0 and ${MAX_PAGE_SIZE}, got ${query.limit}`);
    }
    return shapes.list(path, norm, query);
  };
}

/** A VEN's resources: under /vens/{venID} in 3.0.1, top level with a venID in 3.1.0. */
function resourceOperations(shapes: Shapes, apiVersion: ApiVersion) {
  const v31 = apiVersion === '3.1.0';
  const path = (venID: string, resourceID?: string): string => {
    const tail = `/resources${resourceID === undefined ? '' : `/${seg(resourceID)}`}`;
    return v31 ? tail : `/vens/${seg(venID)}${tail}`;
  };
  const res = crud(shapes, (r) => normalizeObject<Resource>(r));
  return {
    getResources: (venID: string, q?: ListQuery) =>
      shapes.list(path(venID), (r) => normalizeObject<Resource>(r), v31 ? { ...q, venID } : q),
    getResource: (venID: string, id: string) => res.get(path(venID, id)),
    createResource: (venID: string, r: Resource) => res.post(path(venID), v31 ? { ...r, venID } : r),
    updateResource: (venID: string, id: string, r: Resource) => res.put(path(venID, id), r),
    deleteResource: (venID: string, id: string) => res.del(path(venID, id)),
  };
}

export function venOperations(
  requester: Requester,
  health: HealthRecord,
  apiVersion: ApiVersion,
): VenOperations {
  const shapes = new Shapes(requester, health);
  const getPrograms = lister(shapes, '/programs', normalizeProgram);
  const getEvents = lister(shapes, '/events', normalizeEvent);
  const getReports = lister(shapes, '/reports', normalizeReport);
  const getSubscriptions = lister(shapes, '/subscriptions', (r) => normalizeObject<Subscription>(r));
  const getVens = lister(shapes, '/vens', (r) => normalizeObject<Ven>(r));
  const program = crud(shapes, normalizeProgram);
  const event = crud(shapes, normalizeEvent);
  const report = crud(shapes, normalizeReport);
  const sub = crud(shapes, (r) => normalizeObject<Subscription>(r));
  const ven = crud(shapes, (r) => normalizeObject<Ven>(r));
  return {
    getPrograms,
    getAllPrograms: (q) => paginate(getPrograms, q),
    getProgram: (id) => program.get(`/programs/${seg(id)}`),
    createProgram: (p) => program.post('/programs', p),
    updateProgram: (id, p) => program.put(`/programs/${seg(id)}`, p),
    deleteProgram: (id) => program.del(`/programs/${seg(id)}`),
    getEvents,
    getAllEvents: (q) => paginate(getEvents, q),
    getEvent: (id) => event.get(`/events/${seg(id)}`),
    createEvent: (e) => event.post('/events', e),
    updateEvent: (id, e) => event.put(`/events/${seg(id)}`, e),
    deleteEvent: (id) => event.del(`/events/${seg(id)}`),
    getReports,
    getAllReports: (q) => paginate(getReports, q),
    getReport: (id) => report.get(`/reports/${seg(id)}`),
    createReport: (r) => report.post('/reports', r),
    updateReport: (id, r) => report.put(`/reports/${seg(id)}`, r),
    deleteReport: (id) => report.del(`/reports/${seg(id)}`),
    getSubscriptions,
    getAllSubscriptions: (q) => paginate(getSubscriptions, q),
    getSubscription: (id) => sub.get(`/subscriptions/${seg(id)}`),
    createSubscription: (s) => sub.post('/subscriptions', s),
    updateSubscription: (id, s) => sub.put(`/subscriptions/${seg(id)}`, s),
    deleteSubscription: (id) => sub.del(`/subscriptions/${seg(id)}`),
    getVens,
    getAllVens: (q) => paginate(getVens, q),
    getVen: (id) => ven.get(`/vens/${seg(id)}`),
    createVen: (v) => ven.post('/vens', v),
    updateVen: (id, v) => ven.put(`/vens/${seg(id)}`, v),
    deleteVen: (id) => ven.del(`/vens/${seg(id)}`),
    ...resourceOperations(shapes, apiVersion),
    paginate,
  };
}

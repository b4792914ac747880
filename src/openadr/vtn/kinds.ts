/** The six object kinds the API serves, and how each maps onto the YAML and the store. */
import type { ObjectType } from './store/store';

export type KindName = 'programs' | 'events' | 'reports' | 'subscriptions' | 'vens' | 'resources';

export interface Kind {
  name: KindName;
  type: ObjectType;
  /** Schema name under #/components/schemas. */
  schema: string;
  /** Path parameter holding an object id, e.g. programID. */
  idParam: string;
  writeScope: string;
  /** Field unique within its scope (409 on duplicates). */
  nameField?: 'programName' | 'venName' | 'resourceName';
  /** Field that names this object's store scope (its parent). */
  scopeField?: 'programID' | 'venID';
  operations: { list: string; create: string; get: string; update: string; remove: string };
}

export const KINDS: Record<KindName, Kind> = {
  programs: {
    name: 'programs',
    type: 'PROGRAM',
    schema: 'program',
    idParam: 'programID',
    writeScope: 'write_programs',
    nameField: 'programName',
    operations: {
      list: 'searchAllPrograms',
      create: 'createProgram',
      get: 'searchProgramByProgramId',
      update: 'updateProgram',
      remove: 'deleteProgram',
    },
  },
  events: {
    name: 'events',
    type: 'EVENT',
    schema: 'event',
    idParam: 'eventID',
    writeScope: 'write_events',
    scopeField: 'programID',
    operations: {
      list: 'searchAllEvents',
      create: 'createEvent',
      get: 'searchEventsByID',
      update: 'updateEvent',
      remove: 'deleteEvent',
    },
  },
  reports: {
    name: 'reports',
    type: 'REPORT',
    schema: 'report',
    idParam: 'reportID',
    writeScope: 'write_reports',
    scopeField: 'programID',
    operations: {
      list: 'searchAllReports',
      create: 'createReport',
      get: 'searchReportsByReportID',
      update: 'updateReport',
      remove: 'deleteReport',
    },
  },
  subscriptions: {
    name: 'subscriptions',
    type: 'SUBSCRIPTION',
    schema: 'subscription',
    idParam: 'subscriptionID',
    writeScope: 'write_subscriptions',
    scopeField: 'programID',
    operations: {
      list: 'searchSubscriptions',
      create: 'createSubscription',
      get: 'searchSubscriptionByID',
      update: 'updateSubscription',
      remove: 'deleteSubscription',
    },
  },
  vens: {
    name: 'vens',
    type: 'VEN',
    schema: 'ven',
    idParam: 'venID',
    writeScope: 'write_vens',
    nameField: 'venName',
    operations: {
      list: 'searchVens',
      create: 'createVen',
      get: 'searchVenByID',
      update: 'updateVen',
      remove: 'deleteVen',
    },
  },
  resources: {
    name: 'resources',
    type: 'RESOURCE',
    schema: 'resource',
    idParam: 'resourceID',
    writeScope: 'write_vens',
    nameField: 'resourceName',
    scopeField: 'venID',
    operations: {
      list: 'searchVenResources',
      create: 'createResource',
      get: 'searchVenResourceByID',
      update: 'updateVenResource',
      remove: 'deleteVenResource',
    },
  },
};

export const KIND_BY_TYPE: Record<ObjectType, Kind> = Object.fromEntries(
  Object.values(KINDS).map((k) => [k.type, k]),
) as Record<ObjectType, Kind>;

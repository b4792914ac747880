/**
 * OpenADR 3.0.1 object shapes as this client reads and writes them (spec/openadr3-3.0.1.yaml),
 * widened where 3.1.0 differs (string targets, program `attributes`, event `duration`).
 */

export interface IntervalPeriod {
  start?: string;
  duration?: string;
  randomizeStart?: string;
}

export interface ValuesMap {
  type: string;
  values: unknown[];
}

/** 3.0.1 targets are valuesMaps; 3.1.0 targets are plain strings. */
export type Target = ValuesMap | string;

export interface PayloadDescriptor {
  objectType?: string;
  payloadType: string;
  units?: string | null;
  currency?: string | null;
  readingType?: string | null;
}

export interface Interval {
  id: number;
  intervalPeriod?: IntervalPeriod;
  payloads: ValuesMap[];
}

interface ObjectMetadata {
  id?: string;
  createdDateTime?: string;
  modificationDateTime?: string;
  objectType?: string;
}

export interface Program extends ObjectMetadata {
  programName: string;
  programLongName?: string | null;
  retailerName?: string | null;
  retailerLongName?: string | null;
  programType?: string | null;
  country?: string | null;
  principalSubdivision?: string | null;
  timeZoneOffset?: string;
  intervalPeriod?: IntervalPeriod;
  programDescriptions?: Array<{ URL: string }> | null;
  bindingEvents?: boolean | null;
  localPrice?: boolean | null;
  payloadDescriptors?: PayloadDescriptor[] | null;
  /** 3.1.0 moves programLongName, retailerName, … into attributes. */
  attributes?: ValuesMap[] | null;
  targets?: Target[] | null;
  [extra: string]: unknown;
}

export interface ReportDescriptor {
  payloadType: string;
  readingType?: string | null;
  units?: string | null;
  targets?: Target[] | null;
  aggregate?: boolean;
  startInterval?: number;
  numIntervals?: number;
  historical?: boolean;
  frequency?: number;
  repeat?: number;
}

export interface OpenAdrEvent extends ObjectMetadata {
  programID: string;
  eventName?: string | null;
  priority?: number | null;
  /** 3.1.0: loops or truncates the interval set (User Guide 7.3 "event.duration"). */
  duration?: string;
  targets?: Target[] | null;
  reportDescriptors?: ReportDescriptor[] | null;
  payloadDescriptors?: PayloadDescriptor[] | null;
  intervalPeriod?: IntervalPeriod;
  intervals: Interval[];
  [extra: string]: unknown;
}

export interface ReportResource {
  resourceName: string;
  intervalPeriod?: IntervalPeriod;
  intervals: Interval[];
}

export interface Report extends ObjectMetadata {
  programID: string;
  eventID: string;
  clientName: string;
  reportName?: string | null;
  payloadDescriptors?: PayloadDescriptor[] | null;
  resources: ReportResource[];
  [extra: string]: unknown;
}

export interface ObjectOperation {
  objects: string[];
  operations: Array<'GET' | 'POST' | 'PUT' | 'DELETE' | 'READ' | 'CREATE' | 'UPDATE'>;
  callbackUrl: string;
  bearerToken?: string | null;
}

export interface Subscription extends ObjectMetadata {
  clientName: string;
  programID: string;
  objectOperations: ObjectOperation[];
  targets?: Target[] | null;
  [extra: string]: unknown;
}

export interface Resource extends ObjectMetadata {
  resourceName: string;
  venID?: string;
  attributes?: ValuesMap[] | null;
  targets?: Target[] | null;
  [extra: string]: unknown;
}

export interface Ven extends ObjectMetadata {
  venName: string;
  attributes?: ValuesMap[] | null;
  targets?: Target[] | null;
  resources?: Resource[] | null;
  [extra: string]: unknown;
}

export interface Notification {
  objectType: string;
  operation: string;
  object: Record<string, unknown>;
  targets?: Target[] | null;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
}

/** Query parameters for the list operations (3.0.1). */
export interface ListQuery {
  programID?: string;
  eventID?: string;
  clientName?: string;
  venName?: string;
  resourceName?: string;
  objects?: string[];
  targetType?: string;
  targetValues?: string[];
  skip?: number;
  limit?: number;
}

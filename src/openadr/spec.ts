/**
 * The OpenADR 3 API description (spec/openadr3-<version>.yaml, the Alliance's normative YAML,
 * copied verbatim with its NOTICE/LICENSE) loaded once and compiled into validators with ajv.
 * Nothing here retypes a schema: request bodies, query parameters and responses are all checked
 * against the YAML itself.
 */
import fs from 'fs';
import path from 'path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { packageRoot } from '../package-info';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

export interface SpecOperation {
  operationId: string;
  method: HttpMethod;
  /** The YAML path, e.g. `/programs/{programID}`. */
  path: string;
  /** OAuth2 scopes the operation needs (empty for /auth/token). */
  scopes: string[];
  /** Names of the path parameters, in order. */
  pathParams: string[];
  /** Names of the declared query parameters. */
  queryParams: string[];
  /** Validates (and coerces, in place) the query object; undefined when there are none. */
  validateQuery?: ValidateFunction;
  /** Validates the path parameters object. */
  validatePath?: ValidateFunction;
  /** Validates a JSON request body; undefined when the operation takes none (or a form body). */
  validateBody?: ValidateFunction;
  /** Validates a response body by status code. */
  responses: Map<string, ValidateFunction>;
}

export interface OpenAdrSpec {
  version: string;
  document: Record<string, unknown>;
  operations: SpecOperation[];
  operation(operationId: string): SpecOperation;
  /** Validate a value against `#/components/schemas/<name>`. */
  validateSchema(name: string, value: unknown): ValidationIssue[];
  validateResponse(operationId: string, status: number, body: unknown): ValidationIssue[];
  /**
   * A copy of `value` without the keys `#/components/schemas/<name>` does not declare, at every
   * level (a key any branch of an anyOf/oneOf declares is kept). Top-level keys are the caller's.
   */
  stripUnknown(name: string, value: unknown): unknown;
}

export interface ValidationIssue {
  /** Where in the value, e.g. `intervals[0].payloads`, or the query parameter name. */
  field: string;
  message: string;
}

const SCHEMA_ID = 'openadr';
const cache = new Map<string, OpenAdrSpec>();

export function specPath(version = '3.0.1'): string {
  return path.join(packageRoot(), 'spec', `openadr3-${version}.yaml`);
}

/** Load (once per version) and compile the OpenADR YAML. */
export function loadSpec(version = '3.0.1'): OpenAdrSpec {
  const cached = cache.get(version);
  if (cached) return cached;
  const document = YAML.parse(fs.readFileSync(specPath(version), 'utf8')) as Record<string, unknown>;
  const spec = compile(version, document);
  cache.set(version, spec);
  return spec;
}

function newAjv(coerce: boolean): Ajv {
  // strict: false — the YAML is OpenAPI 3.0 (nullable, example, discriminator on anyOf); ajv
  // understands `nullable` and ignores the documentation-only keywords.
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  // OpenAPI's numeric formats are size hints for code generators, not constraints on JSON.
  for (const f of ['int32', 'int64', 'float', 'double'])
    ajv.addFormat(f, { type: 'number', validate: () => true });
  return ajv;
}

/**
 * Deep copy with local `#/components/...` references pointed at the registered document, and
 * OpenAPI 3.0's boolean `exclusiveMaximum/Minimum` turned into the JSON Schema form ajv reads.
 */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    const src = schema as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(src)) {
      if (k === 'exclusiveMaximum' && typeof v === 'boolean') {
        if (v) {
          out.exclusiveMaximum = src.maximum;
          delete out.maximum;
        }
        continue;
      }
      if (k === 'exclusiveMinimum' && typeof v === 'boolean') {
        if (v) {
          out.exclusiveMinimum = src.minimum;
          delete out.minimum;
        }
        continue;
      }
      if (
        (k === 'maximum' && src.exclusiveMaximum === true) ||
        (k === 'minimum' && src.exclusiveMinimum === true)
      )
        continue;
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SCHEMA_ID}${v}` : rebase(v);
    }
    return out;
  }
  return schema;
}

interface RawParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}

function compile(version: string, document: Record<string, unknown>): OpenAdrSpec {
  const bodyAjv = newAjv(false);
  const queryAjv = newAjv(true);
  const components = { $id: SCHEMA_ID, components: rebase(document.components) };
  bodyAjv.addSchema(components);
  queryAjv.addSchema(components);

  const operations: SpecOperation[] = [];
  const paths = document.paths as Record<string, Record<string, unknown>>;
  for (const [p, item] of Object.entries(paths)) {
    const shared = (item.parameters as RawParameter[] | undefined) ?? [];
    for (const method of ['get', 'post', 'put', 'delete'] as HttpMethod[]) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters as RawParameter[] | undefined) ?? [])];
      const query = params.filter((x) => x.in === 'query');
      const pathParams = params.filter((x) => x.in === 'path');
      const scopes: string[] = [];
      for (const req of (op.security as Array<Record<string, string[]>> | undefined) ?? []) {
        for (const s of req.oAuth2ClientCredentials ?? []) scopes.push(s);
      }
      const objectSchema = (list: RawParameter[]): Record<string, unknown> => ({
        type: 'object',
        properties: Object.fromEntries(list.map((x) => [x.name, rebase(x.schema ?? {})])),
        required: list.filter((x) => x.required).map((x) => x.name),
      });
      const body = (op.requestBody as { content?: Record<string, { schema: unknown }> } | undefined)
        ?.content?.['application/json'];
      const responses = new Map<string, ValidateFunction>();
      const sharedResponses =
        (document.components as { responses?: Record<string, unknown> }).responses ?? {};
      for (const [status, raw] of Object.entries((op.responses as Record<string, unknown>) ?? {})) {
        // 3.1.0 names some responses by reference (#/components/responses/<name>).
        const ref = (raw as { $ref?: string }).$ref;
        const r = ref?.startsWith('#/components/responses/') ? sharedResponses[ref.split('/').pop()!] : raw;
        const schema = (r as { content?: Record<string, { schema: unknown }> } | undefined)?.content?.[
          'application/json'
        ]?.schema;
        if (schema) responses.set(status, bodyAjv.compile(rebase(schema) as object));
      }
      operations.push({
        operationId: op.operationId as string,
        method,
        path: p,
        scopes,
        pathParams: pathParams.map((x) => x.name),
        queryParams: query.map((x) => x.name),
        validateQuery: query.length ? queryAjv.compile(objectSchema(query)) : undefined,
        validatePath: pathParams.length ? queryAjv.compile(objectSchema(pathParams)) : undefined,
        validateBody: body ? bodyAjv.compile(rebase(body.schema) as object) : undefined,
        responses,
      });
    }
  }
  const byId = new Map(operations.map((o) => [o.operationId, o]));
  const schemas = (document.components as { schemas: Record<string, Schema> }).schemas;
  const schemaValidators = new Map<string, ValidateFunction>();
  const spec: OpenAdrSpec = {
    version,
    document,
    operations,
    operation(operationId) {
      const op = byId.get(operationId);
      if (!op) throw new Error(`the OpenADR ${version} YAML has no operation ${operationId}`);
      return op;
    },
    validateSchema(name, value) {
      let v = schemaValidators.get(name);
      if (!v) {
        v = bodyAjv.compile({ $ref: `${SCHEMA_ID}#/components/schemas/${name}` });
        schemaValidators.set(name, v);
      }
      return v(value) ? [] : issues(v.errors);
    },
    stripUnknown(name, value) {
      return strip(schemas, schemas[name], value, 0);
    },
    validateResponse(operationId, status, body) {
      const v = spec.operation(operationId).responses.get(String(status));
      if (!v) return [{ field: '', message: `status ${status} is not declared for ${operationId}` }];
      return v(body) ? [] : issues(v.errors);
    },
  };
  return spec;
}

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
};

function resolve(schemas: Record<string, Schema>, s: Schema | undefined): Schema | undefined {
  for (let n = 0; s?.$ref && n < 20; n++) s = schemas[s.$ref.split('/').pop()!];
  return s;
}

/** The declared properties of a schema and of all its branches, each with the first schema declaring it. */
function declared(schemas: Record<string, Schema>, s: Schema | undefined, out = new Map<string, Schema>()) {
  const r = resolve(schemas, s);
  if (!r) return out;
  for (const [k, v] of Object.entries(r.properties ?? {})) if (!out.has(k)) out.set(k, v);
  for (const b of [...(r.anyOf ?? []), ...(r.oneOf ?? []), ...(r.allOf ?? [])]) declared(schemas, b, out);
  return out;
}

/** See OpenAdrSpec.stripUnknown; objects the schema leaves open (no properties) are kept whole. */
function strip(
  schemas: Record<string, Schema>,
  s: Schema | undefined,
  value: unknown,
  depth: number,
): unknown {
  const r = resolve(schemas, s);
  if (!r || value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) {
    const items =
      r.items ??
      [...(r.anyOf ?? []), ...(r.oneOf ?? [])].map((b) => resolve(schemas, b)?.items).find(Boolean);
    return items ? value.map((v) => strip(schemas, items, v, depth + 1)) : value;
  }
  const props = declared(schemas, r);
  if (props.size === 0 || r.additionalProperties) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const ps = props.get(k);
    if (ps) out[k] = strip(schemas, ps, v, depth + 1);
  }
  return out;
}

/** ajv's errors as `field: message` pairs; the field uses dots and [i] like a JS path. */
export function issues(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    let field = e.instancePath
      .split('/')
      .slice(1)
      .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replace(/~1/g, '/').replace(/~0/g, '~')}`))
      .join('')
      .replace(/^\./, '');
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      field = field ? `${field}.${missing}` : missing;
    }
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'pattern' && /duration|P\(/.test(String((e.params as { pattern: string }).pattern)))
      message = 'must be an ISO 8601 duration such as PT1H';
    if (e.keyword === 'format' && (e.params as { format: string }).format === 'date-time')
      message = 'must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z';
    return { field, message };
  });
}

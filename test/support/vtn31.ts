/** Calls against both API versions of one test VTN, and the 3.1.0 response check every test uses. */
import assert from 'assert';
import { loadSpec } from '../../src';
import type { Reply, TestVtn } from './vtn-client';

export const spec31 = loadSpec('3.1.0');
export const spec301 = loadSpec('3.0.1');

export type Caller = (method: string, path: string, token?: string, body?: unknown) => Promise<Reply>;

/** A caller for the 3.1.0 API of a VTN started with startTestVtn (same origin, other base path). */
export function caller31(t: TestVtn): Caller {
  const base = t.url.replace(/\/openadr3\/3\.0\.1$/, '/openadr3/3.1.0');
  return async (method, path, token, body) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON; text has it
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

const BL_REQUEST: Record<string, string> = { VEN: 'BlVenRequest', RESOURCE: 'BlResourceRequest' };

/**
 * Issues of one 3.1.0 response against the YAML. The YAML's `ven` and `resource` schemas are
 * allOf(objectMetadata, Bl…Request), whose objectType enums (VEN/RESOURCE vs BL_…_REQUEST) cannot
 * both hold; for those two the object is checked against each half instead, so every other
 * field is still held to the YAML.
 */
export function issues31(operationId: string, status: number, body: unknown): string[] {
  const direct = spec31.validateResponse(operationId, status, body);
  if (!direct.length) return [];
  const objects = Array.isArray(body) ? body : [body];
  const types = objects.map((o) => (o as { objectType?: string })?.objectType);
  if (!types.length || !types.every((x) => x === 'VEN' || x === 'RESOURCE'))
    return direct.map((i) => `${i.field}: ${i.message}`);
  const out: string[] = [];
  objects.forEach((o, i) => {
    const obj = o as Record<string, unknown>;
    const bl = BL_REQUEST[String(obj.objectType)];
    for (const x of spec31.validateSchema('objectMetadata', obj)) out.push(`[${i}] ${x.field}: ${x.message}`);
    const asRequest = {
      ...obj,
      objectType: bl === 'BlVenRequest' ? 'BL_VEN_REQUEST' : 'BL_RESOURCE_REQUEST',
    };
    for (const x of spec31.validateSchema(bl, asRequest)) out.push(`[${i}] ${x.field}: ${x.message}`);
  });
  return out;
}

export function check31(operationId: string, r: Reply, status: number, seen?: Set<string>): Reply {
  assert.strictEqual(r.status, status, `${operationId}: expected ${status}, got ${r.status} ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${operationId}: media type`);
  if (status < 400)
    assert.deepStrictEqual(issues31(operationId, r.status, r.body), [], `${operationId}: ${r.text}`);
  else assert.deepStrictEqual(spec31.validateSchema('problem', r.body), [], `${operationId}: ${r.text}`);
  seen?.add(operationId);
  return r;
}

/** An object without the fields a write changes on its own. */
export function content(o: Record<string, unknown>): Record<string, unknown> {
  const { modificationDateTime: _m, deliveryStatus: _d, ...rest } = o;
  return rest;
}

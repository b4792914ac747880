/**
 * BL operations from a Node-RED flow without HTTP: `{topic: 'program'|'event', operation:
 * 'create'|'update'|'upsert'|'delete', payload}`. Upsert matches programName / eventName (within
 * the payload's programID when given). The flow acts as a BL client that owns nothing.
 */
import { FLOW_PRINCIPAL } from './auth';
import type { KindName } from './kinds';
import type { VtnService } from './service';

export type FlowOperation = 'create' | 'update' | 'upsert' | 'delete';

const TOPICS: Record<string, KindName> = { program: 'programs', event: 'events' };

export interface FlowResult {
  operation: 'create' | 'update' | 'delete';
  object: Record<string, unknown>;
}

/** Changes made here carry `origin` (default 'flow') so the node can answer instead of echoing them. */
export async function runFlowOperation(
  service: VtnService,
  topic: unknown,
  operation: unknown,
  payload: unknown,
  origin = 'flow',
): Promise<FlowResult> {
  const kind = typeof topic === 'string' ? TOPICS[topic.toLowerCase()] : undefined;
  if (!kind) throw new Error(`msg.topic must be "program" or "event" (got ${JSON.stringify(topic)})`);
  const op = typeof operation === 'string' ? operation.toLowerCase() : 'upsert';
  if (!['create', 'update', 'upsert', 'delete'].includes(op))
    throw new Error(
      `msg.operation must be create, update, upsert or delete (got ${JSON.stringify(operation)})`,
    );
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new Error(`msg.payload must be a ${topic} object`);
  const body = payload as Record<string, unknown>;
  const id = typeof body.id === 'string' && body.id ? body.id : undefined;
  const p = FLOW_PRINCIPAL;
  if (op === 'create')
    return { operation: 'create', object: await service.create(kind, p, body, undefined, origin) };
  if (op === 'update' || op === 'delete') {
    if (!id) throw new Error(`msg.payload.id is required to ${op} a ${topic}`);
    return op === 'update'
      ? { operation: 'update', object: await service.update(kind, p, id, body, undefined, origin) }
      : { operation: 'delete', object: await service.remove(kind, p, id, undefined, origin) };
  }
  const nameField = kind === 'programs' ? 'programName' : 'eventName';
  let existingID = id;
  if (!existingID && typeof body[nameField] === 'string') {
    const candidates = await service.store.list({
      type: kind === 'programs' ? 'PROGRAM' : 'EVENT',
      scope: kind === 'events' && typeof body.programID === 'string' ? body.programID : undefined,
    });
    existingID = candidates.find((c) => c.body[nameField] === body[nameField])?.id;
  }
  if (existingID && (await service.store.get(kind === 'programs' ? 'PROGRAM' : 'EVENT', existingID)))
    return {
      operation: 'update',
      object: await service.update(kind, p, existingID, body, undefined, origin),
    };
  return { operation: 'create', object: await service.create(kind, p, body, undefined, origin) };
}

/**
 * Which subscriptions hear about a change, and what each is sent: the outbox entries a committed
 * change adds (written in the same transaction, delivered by notify/webhooks.ts).
 */
import type { Principal } from './auth';
import type { NewOutboxEntry, StoredObject } from './store/store';
import { bodyPairs, hasTargets } from './target-match';

type Json = Record<string, unknown>;

export type Operation = 'POST' | 'PUT' | 'DELETE';

/** Renders one webhook notification for a subscription; undefined keeps the 3.0.1 shape. */
export type NotificationFormatter = (
  subscription: StoredObject,
  changed: StoredObject,
  operation: Operation,
) => string | undefined;

const SUBSCRIBED_VERB: Record<Operation, string> = { POST: 'CREATE', PUT: 'UPDATE', DELETE: 'DELETE' };

/** What matching needs from the service. */
export interface SubscriptionSources {
  subscriptions(): Promise<StoredObject[]>;
  programExists(programID: string): Promise<boolean>;
  /** The principal of a subscription's owner (undefined for flow-made or unknown owners). */
  principalOf(clientID: string | null): Principal | undefined;
  visibility(p: Principal): (o: StoredObject) => Promise<boolean>;
  format: NotificationFormatter | undefined;
}

export async function notificationsFor(
  src: SubscriptionSources,
  changed: StoredObject[],
  operation: Operation,
): Promise<NewOutboxEntry[]> {
  const subs = await src.subscriptions();
  if (!subs.length) return [];
  const entries: NewOutboxEntry[] = [];
  const programKnown = new Map<string, boolean>();
  for (const sub of subs) {
    const pid = String(sub.body.programID);
    if (!programKnown.has(pid)) programKnown.set(pid, await src.programExists(pid));
    const owner = src.principalOf(sub.owner);
    const visible = owner ? src.visibility(owner) : async () => true;
    const subTargets = new Set(bodyPairs(sub.body));
    for (const stored of changed) {
      const obj = stored.body;
      const objectProgram = stored.type === 'PROGRAM' ? obj.id : obj.programID;
      // A subscription naming a stored program hears only about that program's objects;
      // any other programID (test tools use placeholders) hears about every program.
      if (programKnown.get(pid) && objectProgram !== undefined && objectProgram !== pid) continue;
      if (subTargets.size && hasTargets(obj) && !bodyPairs(obj).some((x) => subTargets.has(x))) continue;
      const matching = ((sub.body.objectOperations as Json[]) ?? []).filter(
        (oo) =>
          (oo.objects as string[]).includes(stored.type) &&
          (oo.operations as string[]).includes(SUBSCRIBED_VERB[operation]),
      );
      if (!matching.length) continue;
      if (owner && !(await visible(stored))) continue;
      const text =
        src.format?.(sub, stored, operation) ??
        JSON.stringify({ objectType: stored.type, operation, object: obj });
      for (const oo of matching)
        entries.push({
          subscriptionID: sub.id,
          callbackUrl: String(oo.callbackUrl),
          bearerToken: typeof oo.bearerToken === 'string' ? oo.bearerToken : null,
          body: text,
        });
    }
  }
  return entries;
}

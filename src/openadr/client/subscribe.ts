/**
 * Optional push for a VEN: register the VEN (POST /vens with venName) and a resource for the
 * water heater, and subscribe to the program's event changes with a webhook callback. The VEN
 * keeps polling as the fallback; a notification only makes it poll at once.
 */
import type { VenClient } from './client';
import type { Resource, Subscription, Ven } from './types';

/** Find the VEN by venName (creating it when missing) and its resource (same). */
export async function registerVen(
  client: VenClient,
  options: { venName: string; resourceName?: string },
): Promise<{ ven: Ven; resource?: Resource; created: boolean }> {
  if (!options.venName) throw new Error('venName is required to register the VEN');
  const vens = await client.getAllVens({ venName: options.venName });
  let ven = vens.find((v) => v.venName === options.venName);
  let created = false;
  if (!ven) {
    ven = await client.createVen({ venName: options.venName });
    created = true;
  }
  if (!options.resourceName || ven.id === undefined) return { ven, created };
  const venID = String(ven.id);
  const resources = await client.getResources(venID);
  const resource =
    resources.find((r) => r.resourceName === options.resourceName) ??
    (await client.createResource(venID, { resourceName: options.resourceName }));
  return { ven, resource, created };
}

export interface WebhookSubscriptionOptions {
  clientName: string;
  programID: string;
  callbackUrl: string;
  /** The VTN sends it back as `Authorization: Bearer …` so the endpoint can check the caller. */
  bearerToken: string;
}

/**
 * Create the subscription to the program's EVENT changes, or reuse (replace) the one this client
 * already has for the same program and callback URL.
 */
export async function ensureEventSubscription(
  client: VenClient,
  options: WebhookSubscriptionOptions,
): Promise<Subscription> {
  const body: Subscription = {
    clientName: options.clientName,
    programID: options.programID,
    objectOperations: [
      {
        objects: ['EVENT'],
        operations: ['CREATE', 'UPDATE', 'DELETE'],
        callbackUrl: options.callbackUrl,
        bearerToken: options.bearerToken,
      },
    ],
  };
  const existing = (
    await client.getAllSubscriptions({ programID: options.programID, clientName: options.clientName })
  ).find(
    (s) =>
      s.clientName === options.clientName &&
      String(s.programID) === options.programID &&
      s.objectOperations?.some((o) => o.callbackUrl === options.callbackUrl),
  );
  return existing?.id !== undefined
    ? client.updateSubscription(String(existing.id), body)
    : client.createSubscription(body);
}

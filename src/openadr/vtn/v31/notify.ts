/**
 * Webhook notifications in the 3.1.0 vocabulary for subscriptions written through the 3.1.0 API:
 * operation CREATE/UPDATE/DELETE (3.0.1 says POST/PUT/DELETE) and the object in its 3.1.0 shape.
 */
import type { NotificationFormatter, Operation } from '../service';
import { bodyTo31, NOTIFICATION_VERSION } from './convert';

export const OPERATION_31: Record<Operation, 'CREATE' | 'UPDATE' | 'DELETE'> = {
  POST: 'CREATE',
  PUT: 'UPDATE',
  DELETE: 'DELETE',
};

export const notificationFormatter31: NotificationFormatter = (subscription, changed, operation) => {
  if (subscription.body[NOTIFICATION_VERSION] !== '3.1.0') return undefined;
  return JSON.stringify({
    objectType: changed.type,
    operation: OPERATION_31[operation],
    object: bodyTo31(changed.type, changed.body, changed.owner),
  });
};

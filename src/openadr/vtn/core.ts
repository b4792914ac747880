/**
 * The VTN without HTTP: the store it opens, the token authority (its signing secret kept in the
 * store), the service, the webhook outbox, and the watch on changes other instances commit to a
 * shared store. createVtn puts the Express app and the server in front of it.
 */
import crypto from 'crypto';
import { loadSpec, type OpenAdrSpec } from '../spec';
import { anonymousProgramSet } from './anonymous';
import { DEMO_CLIENTS, TokenAuthority } from './auth';
import type { CallbackPolicy } from './callback-policy';
import { DEFAULT_VTN_LIMITS, RequestQuota, type VtnLimits } from './limits';
import { WebhookNotifier } from './notify/webhooks';
import type { VtnOptions } from './options';
import { VtnService, type Change } from './service';
import { isPostgresUrl, PostgresStore } from './store/postgres';
import { SqliteStore } from './store/sqlite';
import type { VtnStore } from './store/store';

export interface VtnCore {
  spec: OpenAdrSpec;
  store: VtnStore;
  auth: TokenAuthority;
  service: VtnService;
  notifier: WebhookNotifier;
  limits: VtnLimits;
  quota: RequestQuota;
  anonymousPrograms: ReadonlySet<string>;
  trustProxy: boolean;
  /** Stops the watches and the outbox (the store stays open: the caller closes it last). */
  stop(): Promise<void>;
}

export async function openVtnCore(options: VtnOptions): Promise<VtnCore> {
  const trustProxy = options.trustProxy === true;
  const spec = loadSpec('3.0.1');
  const store = await openStore(options);
  const clients = options.clients ?? DEMO_CLIENTS;
  const anonymousPrograms = anonymousProgramSet(options.anonymousPrograms);
  const signingSecret = await store.initSetting(
    'jwt_signing_secret',
    crypto.randomBytes(48).toString('base64url'),
  );
  const auth = new TokenAuthority({
    clients,
    signingSecret,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    ...options.signInThrottle,
  });
  const callbackPolicy: CallbackPolicy = {
    lan: !!options.callbacks?.lan,
    loopback: !!options.callbacks?.loopback,
  };
  const limits: VtnLimits = { ...DEFAULT_VTN_LIMITS, ...options.limits };
  const quota = new RequestQuota(options.quota, trustProxy);
  const service = new VtnService(store, spec, {
    limits,
    cascadeDeletes: options.cascadeDeletes,
    blCanDeleteReports: options.blCanDeleteReports,
    callbackPolicy,
    roleOf: (id) => auth.roleOf(id),
    anonymousPrograms,
  });
  const notifier = new WebhookNotifier(
    store,
    options.webhooks,
    (e) => options.onDelivery?.(e),
    callbackPolicy,
  );
  service.on('notify', () => notifier.kick());
  if (options.onChange) service.on('change', options.onChange);
  notifier.start();
  const unwatchHealth = store.onHealth?.((health) => {
    if (health.available) notifier.kick(); // rows that waited for the database
    options.onStoreHealth?.(health);
  });
  // Changes other instances commit to a shared store come out here too (PostgreSQL LISTEN/NOTIFY).
  const watch = store.watchChanges?.(
    (events) => {
      for (const e of events) {
        // Not ours: an origin is only meaningful where it was set (two Node-RED instances running
        // the same flow have nodes with the same id).
        const { origin: _origin, ...change } = e as unknown as Change;
        service.emit('change', { ...change, remote: true });
      }
    },
    () => notifier.kick(),
  ); // their webhooks may be ours to deliver
  await watch?.ready;
  return {
    spec,
    store,
    auth,
    service,
    notifier,
    limits,
    quota,
    anonymousPrograms,
    trustProxy,
    async stop() {
      unwatchHealth?.();
      await watch?.stop();
      await notifier.stop();
    },
  };
}

async function openStore(options: VtnOptions): Promise<VtnStore> {
  if (typeof options.store === 'object') return options.store;
  const where = options.store ?? ':memory:';
  if (isPostgresUrl(where))
    return PostgresStore.connect(where.trim(), {
      poolSize: options.pgPoolSize,
      consistency: options.pgConsistency,
      onError: (err) => options.onError?.(err),
    });
  return new SqliteStore(where);
}

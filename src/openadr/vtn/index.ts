/**
 * createVtn(options) → { app, listen(port, host), close(), store }: the whole OpenADR 3.0.1 VTN
 * (routes generated from the YAML, auth, store, webhook outbox), usable standalone or in the node.
 */
import { buildVtnApp, type ListenerInfo } from './app';
import { openVtnCore } from './core';
import { VtnHttpServer } from './http-server';
import { parsePublicUrl } from './listener';
import { DEFAULT_PORT, type Vtn, type VtnOptions } from './options';

export { DEFAULT_BASE_PATH, DEFAULT_BASE_PATH_31, DEFAULT_PORT, type Vtn, type VtnOptions } from './options';

/**
 * Opens the store and the parts around it (core.ts), builds the Express app (app.ts) and returns
 * the VTN; listen() starts its server (http-server.ts).
 */
export async function createVtn(options: VtnOptions = {}): Promise<Vtn> {
  // Checked before anything is opened: a bad URL must not leave a store or timers behind.
  const publicUrl = options.publicUrl ? parsePublicUrl(options.publicUrl) : undefined;
  const core = await openVtnCore(options);
  const listener: ListenerInfo = { publicUrl, tls: Boolean(options.tls), host: '127.0.0.1', port: 0 };
  const web = buildVtnApp(core, options, listener);
  const http = new VtnHttpServer(
    web.app,
    web.pageCache,
    listener,
    options.tls,
    core.trustProxy,
    web.basePath,
  );
  let closed = false;
  return {
    app: web.app,
    store: core.store,
    service: core.service,
    pageCache: web.pageCache,
    basePath: web.basePath,
    basePath31: web.basePath31,
    openapiPaths: web.openapiPaths,
    anonymousPrograms: core.anonymousPrograms,
    get server() {
      return http.server;
    },
    listen(port = DEFAULT_PORT, host = '127.0.0.1') {
      return http.listen(port, host);
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      await core.stop();
      await web.mqttNotifier?.stop();
      await core.store.close();
    },
  };
}

export { SqliteStore } from './store/sqlite';
export { PostgresStore, isPostgresUrl, redactUrl, MIGRATIONS } from './store/postgres';
export { MqttNotifier, DEFAULT_MQTT_PREFIX, type MqttOptions } from './notify/mqtt';
export type { VtnStore, StoredObject, ObjectType, ChangeSet, OutboxEntry, StoreHealth } from './store/store';
export { StoreUnavailable } from './store/store';
export type { Change } from './service';
export { ChangeStats, formatChangeStats, parseChangeStats, type ChangeStatsSnapshot } from './change-stats';
export { callbackUrlProblem, type CallbackPolicy } from './callback-policy';
export {
  DEFAULT_VTN_LIMITS,
  DEFAULT_QUOTA,
  type VtnLimits,
  type QuotaOptions,
  type QuotaRate,
} from './limits';
export { clientAddress } from './client-address';
export {
  DEMO_CLIENTS,
  parseClients,
  usesDemoSecrets,
  type ClientConfig,
  type Role,
  type ThrottleOptions,
} from './auth';
export { runFlowOperation, type FlowResult, type FlowOperation } from './flow-ops';
export {
  isLoopbackHost,
  parsePublicUrl,
  plainHttpRefusal,
  MIN_TLS_VERSION,
  type VtnTlsOptions,
} from './listener';

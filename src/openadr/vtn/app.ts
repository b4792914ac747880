/**
 * The VTN's Express app: the status page at `/`, the 3.1.0 API (with its MQTT notifier) and the
 * 3.0.1 API under their base paths, each API's OpenAPI YAML, a problem body for every 404 and
 * error. What the server answers before Express (repeated polls) is the PageCache made here.
 */
import fs from 'fs';
import type http from 'http';
import express, { type Express } from 'express';
import { loadSpec, specPath } from '../spec';
import type { VtnCore } from './core';
import { advertisedOrigin, isLoopbackHost } from './listener';
import { MqttNotifier } from './notify/mqtt';
import { DEFAULT_BASE_PATH, DEFAULT_BASE_PATH_31, type Vtn, type VtnOptions } from './options';
import { apiRouter, PageCache, problemHandler } from './routes';
import { statusPage } from './status-page';
import { extensionFields31 } from './v31/convert';
import { notificationFormatter31 } from './v31/notify';
import { apiRouter31 } from './v31/routes';

/** Where the VTN listens and what it advertises; host and port are filled in by listen(). */
export interface ListenerInfo {
  publicUrl: string | undefined;
  tls: boolean;
  host: string;
  port: number;
}

export interface VtnApp {
  app: Express;
  pageCache: PageCache;
  basePath: string;
  basePath31: string | undefined;
  openapiPaths: Vtn['openapiPaths'];
  /** The MQTT notifier, when the 3.1.0 API is on and a broker is configured (already started). */
  mqttNotifier: MqttNotifier | undefined;
}

export function buildVtnApp(core: VtnCore, options: VtnOptions, listener: ListenerInfo): VtnApp {
  const { service, auth, trustProxy } = core;
  const basePath = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, '') || '';
  const basePath31 =
    options.basePath31 === false
      ? undefined
      : (options.basePath31 ?? DEFAULT_BASE_PATH_31).replace(/\/+$/, '');
  const app = express();
  app.disable('x-powered-by');
  // One hop: the proxy's own X-Forwarded-* only, never what a client wrote further left.
  app.set('trust proxy', trustProxy ? 1 : false);
  app.set('etag', false);
  const origin = (req: http.IncomingMessage): string => advertisedOrigin(listener, req);
  if (options.statusPage !== false)
    app.get(
      '/',
      // Behind a proxy on this machine every request arrives from loopback: not "local only".
      statusPage(service, auth, {
        loopbackOnly: () => isLoopbackHost(listener.host) && !trustProxy,
        trustProxy,
        apiLinks: (req) => {
          const o = origin(req);
          return [
            { id: 'api-301', label: 'OpenADR 3.0.1 API', url: `${o}${basePath}` },
            ...(basePath31 !== undefined
              ? [{ id: 'api-310', label: 'OpenADR 3.1.0 API', url: `${o}${basePath31}` }]
              : []),
          ];
        },
      }),
    );
  const pageCache = new PageCache(service, auth, undefined, core.quota);
  const openapiPaths: Vtn['openapiPaths'] = {};
  let mqttNotifier: MqttNotifier | undefined;
  if (basePath31 !== undefined) {
    const api31 = mountApi31(app, core, options, basePath31, origin);
    mqttNotifier = api31.mqttNotifier;
    openapiPaths['3.1.0'] = api31.openapiPath;
  }
  openapiPaths['3.0.1'] = serveOpenApi(app, basePath, '3.0.1');
  app.use(
    basePath || '/',
    apiRouter(core.spec, service, auth, {
      bodyLimit: options.bodyLimit,
      pageCache,
      limits: core.limits,
      quota: core.quota,
      trustProxy,
      anonymousPrograms: core.anonymousPrograms,
    }),
  );
  app.use((req, res) => {
    res
      .status(404)
      .type('application/json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Not Found',
          status: 404,
          detail: `no such resource: ${req.path}`,
        }),
      );
  });
  app.use(problemHandler((err) => options.onError?.(err)));
  return { app, pageCache, basePath, basePath31, openapiPaths, mqttNotifier };
}

/**
 * The 3.1.0 API: the service learns the 3.1.0 notification shape and extension fields, the MQTT
 * notifier starts when a broker is configured, and the router is mounted (before 3.0.1's).
 */
function mountApi31(
  app: Express,
  core: VtnCore,
  options: VtnOptions,
  basePath31: string,
  origin: (req: http.IncomingMessage) => string,
): { mqttNotifier: MqttNotifier | undefined; openapiPath: string } {
  const { service } = core;
  const spec31 = loadSpec('3.1.0');
  service.formatNotification = notificationFormatter31;
  service.extensionFields = extensionFields31(spec31);
  let mqttNotifier: MqttNotifier | undefined;
  if (options.mqtt) {
    mqttNotifier = new MqttNotifier(service, options.mqtt, (err) => options.onError?.(err));
    mqttNotifier.start();
  }
  const m = mqttNotifier;
  const openapiPath = serveOpenApi(app, basePath31, '3.1.0');
  // Mounted first: a 3.0.1 API at the root would otherwise answer 404 for 3.1.0 paths.
  app.use(
    basePath31 || '/',
    apiRouter31(spec31, core.spec, service, core.auth, {
      bodyLimit: options.bodyLimit,
      limits: core.limits,
      quota: core.quota,
      trustProxy: core.trustProxy,
      anonymousPrograms: core.anonymousPrograms,
      baseUrl: (req) => `${origin(req)}${basePath31}`,
      notifiers: () => (m ? { MQTT: m.binding() } : {}),
      mqttTopics: m
        ? async (path, params, p) => {
            // Topics of one program or ven are for those who may read it (404 otherwise).
            if (params.programID !== undefined) await service.get('programs', p, params.programID);
            if (params.venID !== undefined) await service.get('vens', p, params.venID);
            return m.topics(path, params);
          }
        : undefined,
    }),
  );
  return { mqttNotifier, openapiPath };
}

/**
 * Serve the API's own OpenAPI YAML (the normative file this VTN validates against) at
 * `<base>/openapi.yaml`, without a token: it is public, and mDNS announces it as `openapi_url`.
 */
function serveOpenApi(app: Express, base: string, version: '3.0.1' | '3.1.0'): string {
  const at = `${base}/openapi.yaml`;
  const text = fs.readFileSync(specPath(version));
  app.get(at, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('application/yaml').send(text);
  });
  return at;
}

/**
 * Typed views of the Node-RED runtime objects the adapters use beyond @types/node-red's: the
 * HTTP servers (httpNode, httpAdmin; Express 4 in Node-RED 3 and 4), permission checks, the
 * settings the pack reads, config nodes, message objects and the log levels. One home, so the
 * adapters need no casts of their own and routes are added and removed in one way.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { LogHook } from '../../src/net/log';

export interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
  params?: Record<string, string>;
  body?: unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  resume?: () => void;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
  send(body: unknown): void;
  set(field: string, value: string): HttpResponse;
  type(contentType: string): HttpResponse;
}

export type HttpHandler = (req: HttpRequest, res: HttpResponse, next: () => void) => void;

export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'patch';

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** The part of an Express application (4 or 5) a node uses. */
export type HttpApp = {
  [M in HttpMethod]: (path: string, ...handlers: HttpHandler[]) => unknown;
} & {
  /** Express 4's router. */
  _router?: { stack: RouterLayer[] };
  /** Express 5's router. */
  router?: { stack: RouterLayer[] };
};

/** The settings the pack reads (settings.js), beside whatever else is there. */
export interface RuntimeSettings {
  httpNodeRoot?: string | false;
  [key: string]: unknown;
}

interface RuntimeHttp {
  httpNode?: HttpApp;
  httpAdmin?: HttpApp;
  auth?: { needsPermission(permission: string): HttpHandler };
}

/** Node-RED's HTTP server for flows (absent when settings.js turns it off). */
export function httpNodeOf(RED: NodeAPI): HttpApp | undefined {
  return (RED as unknown as RuntimeHttp).httpNode;
}

/** Node-RED's HTTP server for the editor (absent when the editor is off). */
export function httpAdminOf(RED: NodeAPI): HttpApp | undefined {
  return (RED as unknown as RuntimeHttp).httpAdmin;
}

/** Middleware that lets only users with `permission` through (no check when auth is off). */
export function needsPermission(RED: NodeAPI, permission: string): HttpHandler {
  const auth = (RED as unknown as RuntimeHttp).auth;
  return auth ? auth.needsPermission(permission) : (_req, _res, next) => next();
}

export function settingsOf(RED: NodeAPI): RuntimeSettings {
  return RED.settings as unknown as RuntimeSettings;
}

/** A config node by id, as the type its module defines (null when there is none). */
export function configNode<T extends object>(RED: NodeAPI, id: unknown): T | null {
  return RED.nodes.getNode(String(id ?? '')) as unknown as T | null;
}

/** Register a node type whose constructor takes its own config shape (and node properties). */
export function registerType<D extends NodeDef, N extends object = Node>(
  RED: NodeAPI,
  type: string,
  constructor: (this: N, def: D) => void,
  options?: Record<string, unknown>,
): void {
  RED.nodes.registerType(type, constructor as unknown as (this: Node, def: NodeDef) => void, options);
}

/** Any object sent as a message (Node-RED adds `_msgid` as it goes). */
export function asMessage(value: object): NodeMessageInFlow {
  return value as NodeMessage as NodeMessageInFlow;
}

/**
 * Add a route to one of Node-RED's HTTP servers; returns a function that removes exactly that
 * route (method and path), so a redeploy never stacks duplicates. Without a server, nothing.
 */
export function addRoute(
  app: HttpApp | undefined,
  method: HttpMethod,
  path: string,
  ...handlers: HttpHandler[]
): () => void {
  if (!app) return () => undefined;
  app[method](path, ...handlers);
  return () => {
    const stack = app._router?.stack ?? app.router?.stack;
    if (!stack) return;
    for (let i = stack.length - 1; i >= 0; i--) {
      const route = stack[i].route;
      if (route && route.path === path && route.methods[method]) stack.splice(i, 1);
    }
  };
}

/**
 * The core's log hook as the node's log: trace and debug appear when settings.js turns those
 * levels on (logging.console.level), info as node.log, warn as node.warn.
 */
export function nodeLog(node: Node): LogHook {
  return (level, message) => {
    if (level === 'trace') node.trace(message);
    else if (level === 'debug') node.debug(message);
    else if (level === 'info') node.log(message);
    else node.warn(message);
  };
}

/**
 * Routes a node adds to Node-RED's HTTP servers must be removed when the node closes, or a
 * redeploy stacks duplicates. Node-RED serves RED.httpNode / RED.httpAdmin with Express 4.
 */
import type { Translate } from './i18n';
import { addRoute, type HttpApp, type HttpHandler } from './red';

export type RouteHandler = HttpHandler;

/**
 * Add a GET route; returns a function that removes exactly that route (see addRoute). Takes
 * RED.httpNode / RED.httpAdmin as @types/node-red types them (Express) or as httpNodeOf gives them.
 */
export function addGetRoute(app: unknown, path: string, handler: RouteHandler): () => void {
  return addRoute(app as HttpApp | undefined, 'get', path, handler);
}

/** A URL path a user typed, made safe to mount: leading slash, no trailing slash, no spaces. */
export function normaliseRoutePath(raw: string, t: Translate): string {
  const trimmed = raw.trim();
  if (!trimmed) return '';
  if (!/^\/?[A-Za-z0-9._~\-/]+$/.test(trimmed)) {
    throw new Error(t('httpRoute.badPath', { path: raw }));
  }
  return `/${trimmed.replace(/^\/+/, '').replace(/\/+$/, '')}`;
}

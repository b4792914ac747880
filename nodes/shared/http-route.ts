/**
 * Routes a node adds to Node-RED's HTTP servers must be removed when the node closes, or a
 * redeploy stacks duplicates. Node-RED serves RED.httpNode / RED.httpAdmin with Express 4.
 */
import type { Request, RequestHandler, Response } from 'express';

interface Express4Layer {
  route?: { path: string; methods: Record<string, boolean> };
}
interface Express4App {
  get(path: string, ...handlers: RequestHandler[]): unknown;
  _router?: { stack: Express4Layer[] };
}

export type RouteHandler = (req: Request, res: Response) => void;

/** Add a GET route; returns a function that removes exactly that route. */
export function addGetRoute(app: unknown, path: string, handler: RouteHandler): () => void {
  const server = app as Express4App;
  server.get(path, handler as unknown as RequestHandler);
  return () => {
    const stack = server._router?.stack;
    if (!stack) return;
    for (let i = stack.length - 1; i >= 0; i--) {
      const route = stack[i].route;
      if (route && route.path === path && route.methods.get) stack.splice(i, 1);
    }
  };
}

/** A URL path a user typed, made safe to mount: leading slash, no trailing slash, no spaces. */
export function normaliseRoutePath(raw: string): string {
  const trimmed = raw.trim();
  if (!trimmed) return '';
  if (!/^\/?[A-Za-z0-9._~\-/]+$/.test(trimmed)) {
    throw new Error(`path "${raw}" may only contain letters, digits, and . _ ~ - /`);
  }
  return `/${trimmed.replace(/^\/+/, '').replace(/\/+$/, '')}`;
}

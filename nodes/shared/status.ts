/**
 * Status shapes shared by every node (see docs in ARCHITECTURE.md):
 * green dot = working, yellow ring = waiting/retrying, red ring = error, grey = stopped.
 * A status never claims "connected" when the link is down: callers pick the shape from facts.
 */
import type { Node, NodeStatus } from 'node-red';

/** Node-RED truncates long status text in the editor; keep it readable. */
const MAX_STATUS_TEXT = 60;

function clip(text: string): string {
  return text.length > MAX_STATUS_TEXT ? `${text.slice(0, MAX_STATUS_TEXT - 1)}…` : text;
}

export const statusShape = {
  ok: (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text: clip(text) }),
  waiting: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text: clip(text) }),
  error: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text: clip(text) }),
  stopped: (text: string): NodeStatus => ({ fill: 'grey', shape: 'ring', text: clip(text) }),
};

export interface StatusReporter {
  ok(text: string): void;
  waiting(text: string): void;
  error(text: string): void;
  stopped(text: string): void;
  clear(): void;
}

/** Bind the status shapes to one node, so adapters write `status.ok('…')`. */
export function statusFor(node: Pick<Node, 'status'>): StatusReporter {
  return {
    ok: (text) => node.status(statusShape.ok(text)),
    waiting: (text) => node.status(statusShape.waiting(text)),
    error: (text) => node.status(statusShape.error(text)),
    stopped: (text) => node.status(statusShape.stopped(text)),
    clear: () => node.status({}),
  };
}

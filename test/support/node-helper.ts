/**
 * node-red-node-test-helper, initialised once with the installed Node-RED runtime.
 * Node tests load the *built* node modules (dist/nodes/<type>/<type>.js), as Node-RED would.
 */
import path from 'path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper') as NodeTestHelper;

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface TestNode {
  id: string;
  type: string;
  on(event: string, listener: (...args: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  receive(msg: Record<string, unknown>): void;
  status: { (s: unknown): void };
  [key: string]: unknown;
}

export interface NodeTestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  load(
    nodes: unknown | unknown[],
    flow: unknown[],
    credentials?: Record<string, unknown>,
    cb?: () => void,
  ): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  startServer(cb?: () => void): Promise<void> | void;
  stopServer(cb?: () => void): Promise<void> | void;
  settings(s: Record<string, unknown>): void;
  request(): unknown;
  url(): string;
}

helper.init(require.resolve('node-red'));

/** Require a built node module by its type name. */
export function builtNode(type: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(repoRoot, 'dist', 'nodes', type, `${type}.js`));
}

/** Collect every status a node reports, in order (for asserting status shapes). */
export function recordStatuses(node: TestNode): Array<{ fill?: string; shape?: string; text?: string }> {
  const seen: Array<{ fill?: string; shape?: string; text?: string }> = [];
  node.on('call:status', (call: { args: [{ fill?: string; shape?: string; text?: string }] }) =>
    seen.push(call.args[0]),
  );
  return seen;
}

/** Resolve with the next message a helper node receives. */
export function nextMessage<T = Record<string, unknown>>(node: TestNode, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${node.id} within ${ms} ms`)), ms);
    node.on('input', (msg: T) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

export { helper };

/**
 * node-red-node-test-helper, initialised once with the installed Node-RED runtime.
 * Node tests load the *built* node modules (dist/nodes/<type>/<type>.js), as Node-RED would.
 *
 * The helper's RED._ returns the key itself (it loads no message catalogs). Nodes here get the
 * RED._ a real Node-RED gives them instead: Node-RED's own i18n (@node-red/util) with the built
 * catalogs registered under the node set's namespace, so tests see the messages users see.
 */
import fs from 'fs';
import path from 'path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper') as NodeTestHelper;

/**
 * Resolve a Node-RED module from the runtime under test: the checkout's Node-RED 4.1, or the one
 * scripts/test-runtime.js installed for a second runtime (OPENADR3_HPWH_NODE_RED_PREFIX).
 */
function fromRuntime(id: string): string {
  const prefix = process.env.OPENADR3_HPWH_NODE_RED_PREFIX;
  return require.resolve(id, { paths: [prefix || path.resolve(__dirname, '..', '..')] });
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { i18n } = require(fromRuntime('@node-red/util')) as { i18n: NodeRedI18n };

interface NodeRedI18n {
  init(settings: { lang?: string }): void;
  registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
  _(key: string, substitutions?: Record<string, unknown>): string;
  /** The i18next instance (changeLanguage for a test in another language). */
  i: { changeLanguage(lang: string): Promise<unknown>; language: string };
}

export const repoRoot = path.resolve(__dirname, '..', '..');

/** The module name Node-RED gives the pack, i.e. the first half of each node set's namespace. */
const MODULE = 'node-red-contrib-openadr3-hpwh';
let catalogs: Promise<void> | undefined;

/** Register every built node's message catalog with Node-RED's i18n (once per process). */
export function loadCatalogs(): Promise<void> {
  catalogs ??= (async () => {
    i18n.init({ lang: 'en-US' });
    const nodesDir = path.join(repoRoot, 'dist', 'nodes');
    const types = fs.readdirSync(nodesDir).filter((t) => fs.existsSync(path.join(nodesDir, t, 'locales')));
    await Promise.all(
      types.map((type) =>
        i18n.registerMessageCatalog(
          `${MODULE}/${type}`,
          path.join(nodesDir, type, 'locales'),
          `${type}.json`,
        ),
      ),
    );
  })();
  return catalogs;
}

/** Run `fn` with Node-RED's runtime language set to `lang` (e.g. 'de'), then back to en-US. */
export async function inLanguage<T>(lang: string, fn: () => Promise<T>): Promise<T> {
  await loadCatalogs();
  await i18n.i.changeLanguage(lang);
  try {
    return await fn();
  } finally {
    await i18n.i.changeLanguage('en-US');
  }
}

// A root hook: catalogs are loaded before any test of a file that imports this module.
if (typeof before === 'function') before(loadCatalogs);

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
  /** The spy on Node-RED's log (every call, whatever the level settings.js shows). */
  log(): { args: unknown[][] };
}

helper.init(fromRuntime('node-red'));

/**
 * A built node module by its type name, handed a RED whose `_` resolves keys in the node set's
 * namespace as Node-RED's loader does (`<module>/<type>:<key>`).
 */
export function builtNode(type: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const register = require(path.join(repoRoot, 'dist', 'nodes', type, `${type}.js`)) as (
    RED: object,
  ) => unknown;
  return withCatalogOf(type, register);
}

/**
 * A node module (e.g. a test-only node using the pack's shared modules) whose RED._ looks keys up
 * in the built catalog of the pack's node `type`, which holds the shared modules' strings too.
 */
export function withCatalogOf(type: string, register: (RED: object) => unknown): unknown {
  const namespace = `${MODULE}/${type}`;
  return function (RED: object) {
    const red = Object.create(RED) as { _: NodeRedI18n['_'] };
    red._ = (key, substitutions) => i18n._(key.includes(':') ? key : `${namespace}:${key}`, substitutions);
    return register(red);
  };
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

/**
 * A real Node-RED (`node <node-red>/red.js`, see nodeRedDir) for end-to-end tests: a temporary userDir
 * whose node_modules links to this checkout (so the pack loads as an installed module, with its
 * examples), bound to 127.0.0.1 on a free port, telemetry and tours off, stopped by its own PID.
 */
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { freePort } from './ports';

export const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * The Node-RED package the tests run: the checkout's (Node-RED 4.1 on this machine's Node), or the
 * one scripts/test-runtime.js installed for a second runtime (OPENADR3_HPWH_NODE_RED_PREFIX).
 */
export function nodeRedDir(): string {
  const prefix = process.env.OPENADR3_HPWH_NODE_RED_PREFIX;
  return path.dirname(require.resolve('node-red/package.json', { paths: [prefix || repoRoot] }));
}

export interface NodeRedOptions {
  /**
   * A user directory where the pack was installed with npm (the way the palette does): used
   * as it is instead of a temporary one linked to this checkout, and Node-RED gets no module
   * redirection (scripts/runtime-redirect.js), so it loads what npm installed there.
   */
  installedIn?: string;
  /** Extra folders of local nodes (e.g. test fixture nodes). */
  nodesDir?: string[];
  /** Extra settings merged into settings.js (must be JSON-serialisable). */
  settings?: Record<string, unknown>;
  /** Flows to start with (written to flows.json before start). */
  flows?: unknown[];
  /** Extra environment variables for the Node-RED process (e.g. OPENADR3_HPWH_TIME_SCALE). */
  env?: Record<string, string>;
  /** Extra Node.js options before red.js (e.g. --expose-gc). */
  nodeArgs?: string[];
  /**
   * Run Node-RED elsewhere, e.g. inside a network namespace (test/support/netns.ts): `prefix` is
   * the command it runs under, `reach(port)` makes its port reachable from this process.
   */
  runIn?: {
    prefix: string[];
    reach(port: number): Promise<{ url: string; close(): Promise<void> }>;
  };
}

export interface NodeRedInstance {
  url: string;
  port: number;
  userDir: string;
  process: ChildProcess;
  /** Everything the process printed so far. */
  log(): string;
  exited(): boolean;
  deploy(flows: unknown[]): Promise<void>;
  getFlows(): Promise<unknown[]>;
  inject(nodeId: string): Promise<void>;
  get(pathname: string): Promise<Response>;
  stop(): Promise<void>;
}

const API_HEADERS = { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2' };

/**
 * The log lines this helper waits for, in the runtime's language (settings `lang`): Node-RED
 * translates its own log too, so they are read from its runtime catalog.
 */
function runtimeLogLines(lang: unknown): {
  started: string;
  starting: string;
  updated: string;
  flowsFile: string;
} {
  const runtimeDir = path.dirname(
    require.resolve('@node-red/runtime/package.json', { paths: [nodeRedDir()] }),
  );
  const catalog = (language: string) => path.join(runtimeDir, 'locales', language, 'runtime.json');
  const file = typeof lang === 'string' && fs.existsSync(catalog(lang)) ? catalog(lang) : catalog('en-US');
  const messages = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: { flows: Record<string, string> };
    storage: { localfilesystem: Record<string, string> };
  };
  return {
    started: messages.nodes.flows['started-flows'],
    starting: messages.nodes.flows['starting-flows'],
    updated: messages.nodes.flows['updated-flows'],
    flowsFile: messages.storage.localfilesystem['flows-file'].replace(/\s*:.*$/, ''),
  };
}

export async function startNodeRed(options: NodeRedOptions = {}): Promise<NodeRedInstance> {
  const port = await freePort();
  const userDir = options.installedIn ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nr-e2e-'));
  if (!options.installedIn) {
    const modules = path.join(userDir, 'node_modules');
    fs.mkdirSync(modules);
    // What `npm install <checkout>` would do: a link to the package root.
    fs.symlinkSync(repoRoot, path.join(modules, 'node-red-contrib-openadr3-hpwh'), 'dir');
  }
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: 'e2e-test-secret',
    // No palette catalogue: the machine is offline and the fetch would be a console error.
    editorTheme: { tours: false, palette: { catalogues: [] } },
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    // The runtime's language (statuses, errors, its own log), whatever LANG this machine has.
    lang: 'en-US',
    nodesDir: options.nodesDir ?? [],
    ...options.settings,
  };
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = ${JSON.stringify(settings, null, 2)};\n`,
  );
  if (options.flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows));

  const prefix = options.runIn?.prefix ?? [];
  const child = spawn(
    prefix[0] ?? process.execPath,
    [
      ...(prefix.length ? [...prefix.slice(1), process.execPath] : []),
      ...(options.nodeArgs ?? []),
      path.join(nodeRedDir(), 'red.js'),
      '-u',
      userDir,
      '-p',
      String(port),
      '--no-telemetry',
    ],
    {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...(options.installedIn ? withoutRedirect(process.env) : process.env),
        NODE_RED_ENABLE_PROJECTS: 'false',
        ...options.env,
      },
    },
  );
  const lines = runtimeLogLines(settings.lang);
  let output = '';
  let hasExited = false;
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  child.on('exit', () => (hasExited = true));

  const reached = options.runIn ? await options.runIn.reach(port) : undefined;
  const url = reached?.url ?? `http://127.0.0.1:${port}`;
  const instance: NodeRedInstance = {
    url,
    port,
    userDir,
    process: child,
    log: () => output,
    exited: () => hasExited,
    async deploy(flows) {
      const updatedBefore = countOf(output, lines.updated);
      const res = await fetch(`${url}/flows`, {
        method: 'POST',
        headers: { ...API_HEADERS, 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify({ flows }),
      });
      if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
      // The Admin API answers before the new flows have started: wait for the runtime to say so.
      // Count from this deploy's own "Updated flows": a start-up "Started flows" printed just after
      // start-up returned must not pass for this deploy's (seen under load: inject → 404).
      await waitFor(
        () =>
          hasExited ||
          (countOf(output, lines.updated) > updatedBefore &&
            output.slice(output.lastIndexOf(lines.updated)).includes(lines.started)),
        15000,
        'flows to start',
      );
      if (hasExited) throw new Error(`Node-RED exited while deploying:\n${output}`);
    },
    async getFlows() {
      const res = await fetch(`${url}/flows`, { headers: API_HEADERS });
      const body = (await res.json()) as { flows: unknown[] };
      return body.flows;
    },
    async inject(nodeId) {
      const res = await fetch(`${url}/inject/${nodeId}`, { method: 'POST' });
      if (!res.ok)
        throw new Error(`inject ${nodeId} failed: ${res.status} ${await res.text()}\n${output.slice(-2000)}`);
    },
    get: (pathname) => fetch(`${url}${pathname}`),
    async stop() {
      if (!hasExited) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        await gone;
        clearTimeout(timer);
      }
      await reached?.close();
      if (!options.installedIn) fs.rmSync(userDir, { recursive: true, force: true });
    },
  };

  // Start-up is not what any test measures: on a loaded 2-core CI machine Node-RED has been
  // seen to need more than 30 s just to load its palette.
  const startMs = 90_000;
  const deadline = Date.now() + startMs;
  for (;;) {
    if (hasExited) throw new Error(`Node-RED exited during start-up:\n${output}`);
    try {
      const res = await fetch(`${url}/settings`, { headers: API_HEADERS });
      if (res.ok && [lines.started, lines.starting, lines.flowsFile].some((l) => output.includes(l))) {
        // Wait for the runtime to have started flows, not just the admin server.
        if (output.includes(lines.started) || !options.flows) break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await instance.stop();
      throw new Error(`Node-RED did not start within ${startMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return instance;
}

/**
 * The environment without scripts/runtime-redirect.js preloaded: for processes that must load
 * modules where npm installed them (an installed copy of the pack, npm itself).
 */
export function withoutRedirect(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const nodeOptions = (env.NODE_OPTIONS ?? '').replace(/--require \S*runtime-redirect\.js/g, '').trim();
  const out: NodeJS.ProcessEnv = { ...env };
  if (nodeOptions) out.NODE_OPTIONS = nodeOptions;
  else delete out.NODE_OPTIONS;
  return out;
}

function countOf(log: string, line: string): number {
  return log.split(line).length - 1;
}

/** Poll `probe` until it returns a truthy value or the time is up. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 10000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

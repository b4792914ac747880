/**
 * A node's config migrations, served to its edit dialog by the runtime: the node's .html loads
 * `<type>/config-migrations.js` from the admin API, and its `oneditprepare` calls
 * `window.openadr3ConfigMigrations[type].prepare(this)`, which shows a node saved by an older
 * version the way the runtime migrates it. The script is made from the source of the very
 * functions the runtime runs (Function.prototype.toString), so there is no second copy to drift.
 *
 * Why the dialog must migrate at all: the editor fills properties a saved node lacks with the
 * type's defaults, so without it a node of an older version would open (and be saved) with the
 * new defaults instead of what the runtime makes of it. The route is public like Node-RED's own
 * editor resources (the script holds no secret), because a `<script src>` cannot carry the
 * admin token.
 */
import type { NodeAPI } from 'node-red';
import { savedConfigVersion, upgradeConfig, type ConfigMigration } from './config-version';
import { addRoute, httpAdminOf } from './red';

/** One node type's migrations, written as named function declarations in a module of their own. */
export interface ConfigMigrations {
  type: string;
  /** steps[i] upgrades a config from version i+1 to i+2 (see config-version.ts). */
  steps: ConfigMigration[];
  /**
   * The module's own functions the steps call. The steps and these may use nothing else but
   * their arguments and the language's globals: the editor gets their source text, not their
   * imports (the migration modules' unit tests run the served script to prove it).
   */
  uses?: Array<(...args: never[]) => unknown>;
}

/** Where a type's script is served, relative to the admin root (as its .html loads it). */
export function configMigrationsPath(type: string): string {
  return `/${type}/config-migrations.js`;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the editor's node and jQuery are untyped. */
/**
 * Runs in the browser (serialised): the node's saved properties (what it has for each default,
 * its configVersion) migrated, and every form input whose value the migration changed set to
 * the migrated value. Inputs the migration left alone keep what the editor put there.
 */
function prepareEditorForm(
  node: any,
  migrate: (c: Record<string, unknown>) => Record<string, unknown>,
  $: any,
): void {
  const saved: Record<string, unknown> = {};
  Object.keys(node._def.defaults).forEach((key) => {
    saved[key] = node[key];
  });
  const migrated = migrate(saved);
  Object.keys(migrated).forEach((key) => {
    const input = $('#node-input-' + key);
    if (!input.length || migrated[key] === saved[key]) return;
    if (input.is(':checkbox')) input.prop('checked', migrated[key] === true);
    else input.val(migrated[key]);
  });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

type Named = (...args: never[]) => unknown;

function declarations(functions: Named[]): string {
  return functions
    .map((f) => {
      const text = f.toString();
      if (!/^function[\s*]/.test(text) || !f.name) {
        throw new Error(`a config migration must be a named function declaration: ${text.slice(0, 60)}`);
      }
      return text;
    })
    .join('\n');
}

/** The script a type's editor loads: `window.openadr3ConfigMigrations[type]`. */
export function configMigrationsScript(m: ConfigMigrations): string {
  const shared: Named[] = [savedConfigVersion, upgradeConfig, prepareEditorForm];
  const own: Named[] = [...(m.uses ?? []), ...m.steps];
  const steps = m.steps.map((f) => f.name).join(', ');
  // `__name` stands in for the helper a transpiler keeping function names may have inserted.
  return `(function () {
  var __name = function (f) { return f; };
${declarations(shared)}
${declarations(own)}
  function migrate(config) { return upgradeConfig(config, [${steps}]); }
  var all = (window.openadr3ConfigMigrations = window.openadr3ConfigMigrations || {});
  all[${JSON.stringify(m.type)}] = {
    latest: ${m.steps.length + 1},
    migrate: migrate,
    prepare: function (node) { prepareEditorForm(node, migrate, jQuery); },
  };
})();
`;
}

const served = new WeakMap<object, Set<string>>();

/** Serve a type's migrations to its editor, once per runtime (a no-op without the editor). */
export function serveConfigMigrations(RED: NodeAPI, m: ConfigMigrations): void {
  const admin = httpAdminOf(RED);
  if (!admin) return;
  const types = served.get(admin) ?? new Set<string>();
  served.set(admin, types);
  if (types.has(m.type)) return;
  types.add(m.type);
  const script = configMigrationsScript(m);
  addRoute(admin, 'get', configMigrationsPath(m.type), (_req, res) => {
    res.type('application/javascript').send(script);
  });
}

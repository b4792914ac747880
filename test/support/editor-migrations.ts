/**
 * A node type's config migrations as its edit dialog gets them: the script the runtime serves,
 * run in a fresh context with nothing of the runtime's modules, so a step that reaches for an
 * import (or a helper not sent along) fails here as it would in the browser.
 */
import vm from 'vm';
import { configMigrationsScript, type ConfigMigrations } from '../../nodes/shared/config-migration-editor';

export interface EditorMigrations {
  latest: number;
  migrate(config: Record<string, unknown>): Record<string, unknown>;
}

export function editorMigrations(m: ConfigMigrations): EditorMigrations {
  const window: { openadr3ConfigMigrations?: Record<string, EditorMigrations> } = {};
  vm.runInNewContext(configMigrationsScript(m), { window, jQuery: () => undefined });
  const served = window.openadr3ConfigMigrations?.[m.type];
  if (!served) throw new Error(`the script did not define ${m.type}`);
  return served;
}

/** What crosses from the script's context: compared as JSON (its objects have another Object). */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/**
 * Every node's config carries `configVersion` (a number, set by the editor's defaults) so a
 * later release can migrate flows saved by an earlier one. A node declares its migrations as
 * a list: migrations[i] upgrades a config from version i+1 to i+2. Configs saved before the
 * field existed count as version 1.
 *
 * The same migration runs in the runtime (migrateConfig, when a node starts) and in the edit
 * dialog (served by ./config-migration-editor.ts), so `savedConfigVersion` and `upgradeConfig`
 * use nothing but their arguments: the editor gets their source text.
 */
import type { Translate } from './i18n';

export type ConfigMigration = (config: Record<string, unknown>) => Record<string, unknown>;

/** The version a saved config says it has: 1 when absent or not a whole number from 1 up. */
export function savedConfigVersion(config: Record<string, unknown>): number {
  const version = Number(config.configVersion ?? 1);
  return Number.isInteger(version) && version >= 1 ? version : 1;
}

/**
 * The config at the latest version (migrations.length + 1), each migration still needed applied
 * in order. A config from a newer release is returned unchanged (migrateConfig refuses it).
 */
export function upgradeConfig(
  config: Record<string, unknown>,
  migrations: ConfigMigration[],
): Record<string, unknown> {
  const latest = migrations.length + 1;
  const version = savedConfigVersion(config);
  if (version > latest) return config;
  let current = { ...config };
  for (let v = version; v < latest; v++) current = { ...migrations[v - 1](current), configVersion: v + 1 };
  current.configVersion = latest;
  return current;
}

/** upgradeConfig for a node starting: a config from a newer release is an error, not a guess. */
export function migrateConfig<T extends object>(config: T, migrations: ConfigMigration[], t: Translate): T {
  const raw = config as unknown as Record<string, unknown>;
  const version = savedConfigVersion(raw);
  const latest = migrations.length + 1;
  if (version > latest) {
    throw new Error(t('configVersion.newer', { version, latest }));
  }
  return upgradeConfig(raw, migrations) as unknown as T;
}

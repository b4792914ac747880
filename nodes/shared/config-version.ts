/**
 * Every node's config carries `configVersion` (a number, set by the editor's defaults) so a
 * later release can migrate flows saved by an earlier one. A node declares its migrations as
 * a list: migrations[i] upgrades a config from version i+1 to i+2. Configs saved before the
 * field existed count as version 1.
 */
export type ConfigMigration = (config: Record<string, unknown>) => Record<string, unknown>;

export function migrateConfig<T extends object>(config: T, migrations: ConfigMigration[]): T {
  const raw = config as unknown as Record<string, unknown>;
  let version = Number(raw.configVersion ?? 1);
  if (!Number.isInteger(version) || version < 1) version = 1;
  const latest = migrations.length + 1;
  if (version > latest) {
    throw new Error(
      `this flow was saved by a newer version of the node (config version ${version}, this release understands up to ${latest})`,
    );
  }
  let current = { ...raw };
  for (let v = version; v < latest; v++) current = { ...migrations[v - 1](current), configVersion: v + 1 };
  current.configVersion = latest;
  return current as unknown as T;
}

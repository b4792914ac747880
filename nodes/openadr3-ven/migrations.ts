/**
 * Flows saved by older versions of the openadr3-ven node, brought to today's config. One module
 * for the runtime (readSettings) and the edit dialog (served by
 * nodes/shared/config-migration-editor.ts): each step is a named function that uses only its
 * argument, because the editor gets its source text.
 */
import type { ConfigMigrations } from '../shared/config-migration-editor';

/** Version 1 → 2: the webhook checkbox became the push mode (ticked: webhooks; not: polling only). */
function pushModeFromWebhookBox(c: Record<string, unknown>): Record<string, unknown> {
  return { ...c, push: c.webhook === true || c.webhook === 'true' ? 'webhook' : 'none' };
}

export const VEN_MIGRATIONS: ConfigMigrations = {
  type: 'openadr3-ven',
  steps: [pushModeFromWebhookBox],
};

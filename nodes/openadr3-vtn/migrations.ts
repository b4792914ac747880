/**
 * Flows saved by older versions of the openadr3-vtn node, brought to today's config. One module
 * for the runtime (settings.ts) and the edit dialog (served by
 * nodes/shared/config-migration-editor.ts): the steps and the functions they call use only their
 * arguments, because the editor gets their source text.
 */
import type { ConfigMigrations } from '../shared/config-migration-editor';

/** A ticked checkbox: saved as a boolean, or as its text by hand-written flows. */
function ticked(v: unknown): boolean {
  return v === true || v === 'true';
}

/**
 * A loopback host as version 2 read the host setting. Kept here rather than imported: what an
 * old flow migrates to must not change when today's rules for the host setting do.
 */
function loopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.') || h.startsWith('::ffff:127.');
}

/** Where the VTN is reachable only from this machine: a loopback bind, no proxy in front. */
function reachableOnlyHere(c: Record<string, unknown>): boolean {
  return loopbackHost(String(c.host || '127.0.0.1').trim()) && !ticked(c.behindProxy);
}

/**
 * Version 1 → 2 added HTTPS. Flows saved before it served plain HTTP; they keep doing so where
 * that is still allowed (a loopback address); one bound beyond loopback now stops with a red
 * status naming the setting to choose, instead of serving VENs without TLS.
 */
function addHttpsSettings(c: Record<string, unknown>): Record<string, unknown> {
  return {
    ...c,
    tls: c.tls ?? '',
    devCert: c.devCert ?? false,
    clientCerts: c.clientCerts ?? 'none',
    behindProxy: c.behindProxy ?? false,
    publicUrl: c.publicUrl ?? '',
    mqttTls: c.mqttTls ?? '',
  };
}

/**
 * Version 2 → 3 replaced "allow http webhook callbacks to loopback / LAN hosts" (on by default)
 * with a callback policy: public destinations only unless LAN and/or this machine are allowed,
 * and a status page that can be turned off. A VTN only this machine can reach keeps what the old
 * setting allowed (whoever subscribes there can reach the LAN already); one reachable from the
 * network gets public destinations only and a warning at start (see `narrowedCallbacks`). Flows
 * that already carry the new settings keep them.
 */
function callbackPolicyFromCheckbox(c: Record<string, unknown>): Record<string, unknown> {
  const { allowInsecureCallbacks, ...rest } = c;
  const keep = ticked(allowInsecureCallbacks) && reachableOnlyHere(c);
  return {
    ...rest,
    callbacksLan: keep || ticked(c.callbacksLan),
    callbacksLoopback: keep || ticked(c.callbacksLoopback),
    statusPage: c.statusPage !== false && c.statusPage !== 'false',
  };
}

export const VTN_MIGRATIONS: ConfigMigrations = {
  type: 'openadr3-vtn',
  steps: [addHttpsSettings, callbackPolicyFromCheckbox],
  uses: [ticked, loopbackHost, reachableOnlyHere],
};

/**
 * A flow saved before config version 3 allowed http callbacks to the LAN and this machine, and its
 * migration allowed less (the VTN is reachable from the network): say so, once, at start.
 */
export function narrowedCallbacks(
  raw: Record<string, unknown>,
  migrated: { callbacksLan?: unknown; callbacksLoopback?: unknown },
): boolean {
  return (
    Number(raw.configVersion ?? 1) < 3 &&
    ticked(raw.allowInsecureCallbacks) &&
    !(migrated.callbacksLan === true && migrated.callbacksLoopback === true)
  );
}

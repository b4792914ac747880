/**
 * How client nodes reach their `openadr3-vtn-config` node: one shared VenClient per config
 * node (one token cache, one health record), and a status that follows that health, so every
 * node using the connection says honestly when the VTN is unreachable or refuses credentials.
 */
import type { Node, NodeAPI } from 'node-red';
import type { ClientHealth, VenClient } from '../../src/openadr/client';
import type { StatusReporter } from './status';

/**
 * The connection has no client id/secret yet. That is the normal state of an imported flow
 * (Node-RED never exports credentials), so nodes show it as "waiting for you" (yellow), not as
 * a failure, and drop their messages quietly instead of logging an error for each one.
 */
export class MissingCredentialsError extends Error {
  /** Short text for a node status. */
  readonly statusText: string;
  constructor(message: string, connectionName?: string) {
    super(message);
    this.name = 'MissingCredentialsError';
    this.statusText = connectionName
      ? `enter client credentials in "${connectionName}"`
      : 'enter client credentials';
  }
}

export function isMissingCredentials(err: unknown): err is MissingCredentialsError {
  // By name too: a second copy of this module (another install of the pack) has its own class.
  return (
    err instanceof MissingCredentialsError ||
    (err instanceof Error &&
      err.name === 'MissingCredentialsError' &&
      typeof (err as MissingCredentialsError).statusText === 'string')
  );
}

/** Show a connection problem found at deploy: yellow for missing credentials, red otherwise. */
export function showSetupProblem(status: StatusReporter, err: unknown): void {
  if (isMissingCredentials(err)) status.waiting(err.statusText);
  else status.error((err as Error).message);
}

/**
 * The shared client for an input message, or undefined when the connection still needs its
 * credentials: then the status says so and the caller drops the message (no error per message).
 */
export function clientOrWait(RED: NodeAPI, id: unknown, status: StatusReporter): VenClient | undefined {
  try {
    return vtnConfig(RED, id).getClient();
  } catch (err) {
    if (!isMissingCredentials(err)) throw err;
    status.waiting('enter client credentials · message dropped');
    return undefined;
  }
}

export interface VtnConfigNode extends Node {
  /** The shared client, or throws the configuration error (e.g. missing credentials). */
  getClient(): VenClient;
  baseUrl: string;
}

/** Look up the config node; throws a clear error when none is selected or it does not exist. */
export function vtnConfig(RED: NodeAPI, id: unknown): VtnConfigNode {
  if (typeof id !== 'string' || !id)
    throw new Error('no VTN connection selected: choose an openadr3-vtn-config node');
  const node = RED.nodes.getNode(id) as VtnConfigNode | null;
  if (!node || typeof node.getClient !== 'function')
    throw new Error(`VTN connection ${id} not found (was it deleted?)`);
  return node;
}

export function hhmm(iso: string | null): string {
  return iso ? `${iso.slice(11, 16)}Z` : '?';
}

/** The status a node shows for a connection that is not healthy, or undefined when it is. */
export function healthProblem(health: ClientHealth): string | undefined {
  if (health.state === 'unreachable') return `VTN unreachable since ${hhmm(health.since)}`;
  if (health.state === 'auth-failed') return `auth failed: ${health.lastError ?? ''}`;
  if (health.state === 'error') return `VTN error: ${health.lastError ?? ''}`;
  return undefined;
}

/**
 * Follow the shared client's health: unreachable → yellow, auth failed / bad answers → red.
 * Returns the function that stops following (call it on close).
 */
export function followHealth(client: VenClient, status: StatusReporter, onOk?: () => void): () => void {
  return client.onHealth((health) => {
    const problem = healthProblem(health);
    if (!problem) onOk?.();
    else if (health.state === 'unreachable') status.waiting(problem);
    else status.error(problem);
  });
}

/**
 * A status reporter that remembers its last green text, so a node can go back to it when the
 * shared connection recovers (instead of staying yellow until its next message).
 */
export function rememberOk(status: StatusReporter): StatusReporter & { restore(): void } {
  let lastOk: string | undefined;
  return {
    ...status,
    ok: (text) => {
      lastOk = text;
      status.ok(text);
    },
    restore: () => (lastOk ? status.ok(lastOk) : status.clear()),
  };
}

/**
 * Config node: one OpenADR 3 VTN connection (base URL, API version, OAuth2 client credentials or
 * anonymous). It owns the one VenClient every node using it shares, so they share the token
 * cache and report the same health.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { ApiVersion, createVenClient, VenClient } from '../../src/openadr/client';
import { migrateConfig } from '../shared/config-version';
import { MissingCredentialsError } from '../shared/vtn';

interface VtnConfigDef extends NodeDef {
  baseUrl: string;
  apiVersion: 'auto' | ApiVersion;
  authMode: 'oauth2' | 'anonymous';
  tokenUrl: string;
  scope: string;
  timeoutS: number | string;
  retries: number | string;
  configVersion?: number;
}

interface Credentials {
  clientId?: string;
  clientSecret?: string;
}

export = function (RED: NodeAPI): void {
  function VtnConfigNode(
    this: Node<Credentials> & { getClient(): VenClient; baseUrl: string },
    def: VtnConfigDef,
  ) {
    RED.nodes.createNode(this, def);
    const config = migrateConfig(def, []);
    const creds = this.credentials ?? {};
    this.baseUrl = config.baseUrl;
    let client: VenClient | undefined;
    let problem: Error | undefined;
    try {
      const timeoutS = Number(config.timeoutS);
      const retries = Number(config.retries);
      client = createVenClient({
        baseUrl: String(config.baseUrl ?? '').trim(),
        apiVersion:
          config.apiVersion === '3.0.1' || config.apiVersion === '3.1.0' ? config.apiVersion : undefined,
        auth:
          config.authMode === 'anonymous'
            ? { type: 'anonymous' }
            : {
                type: 'oauth2',
                clientId: creds.clientId ?? '',
                clientSecret: creds.clientSecret ?? '',
                tokenUrl: config.tokenUrl || undefined,
                scope: config.scope || undefined,
              },
        timeoutMs: Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS * 1000 : 10000,
        retries: Number.isInteger(retries) && retries >= 0 ? retries : 3,
      });
    } catch (err) {
      problem = new Error(
        `${config.name ? `VTN connection "${config.name}": ` : ''}${(err as Error).message}`,
      );
      // Missing credentials are the normal state of an imported flow (credentials are never
      // exported): a warning that says what to do, not an error; the nodes using it show it too.
      const missingCredentials = config.authMode !== 'anonymous' && (!creds.clientId || !creds.clientSecret);
      if (missingCredentials) {
        problem = new MissingCredentialsError(
          `${config.name ? `VTN connection "${config.name}": ` : ''}enter the OAuth2 client id and secret (credentials are not exported with flows)`,
          config.name || undefined,
        );
        this.warn(problem.message);
      } else this.error(problem.message);
    }
    this.getClient = () => {
      if (!client) throw problem ?? new Error('VTN connection not configured');
      return client;
    };
  }
  RED.nodes.registerType(
    'openadr3-vtn-config',
    VtnConfigNode as unknown as (this: Node, def: NodeDef) => void,
    {
      credentials: { clientId: { type: 'text' }, clientSecret: { type: 'password' } },
    },
  );
};

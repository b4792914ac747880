/**
 * openadr3-vtn: an OpenADR 3.0.1 + 3.1.0 VTN served from inside Node-RED (thin adapter over createVtn).
 * Output: one message per change; input: BL operations on programs/events from the flow.
 */
import os from 'os';
import path from 'path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  createVtn,
  DEMO_CLIENTS,
  isPostgresUrl,
  parseClients,
  runFlowOperation,
  usesDemoSecrets,
  type Change,
  type Vtn,
} from '../../src/openadr/vtn';
import { migrateConfig } from '../shared/config-version';
import { guardTask, handleInput } from '../shared/input';
import { statusShape } from '../shared/status';

interface VtnNodeDef extends NodeDef {
  port: string | number;
  host: string;
  basePath: string;
  storeType: 'file' | 'memory' | 'postgres';
  storePath: string;
  /** PostgreSQL: how polls check other instances' writes (absent in flows saved before it: strict). */
  pgConsistency?: 'strict' | 'notify';
  tokenLifetime: string | number;
  allowInsecureCallbacks: boolean;
  cascadeDeletes: boolean;
  blCanDeleteReports: boolean;
  webhookAttempts?: string | number;
  /** MQTT broker for 3.1.0 notifications (e.g. mqtt://127.0.0.1:1883); empty = no MQTT. */
  mqttUrl?: string;
  configVersion?: number;
}

interface VtnCredentials {
  clients?: string;
  /** postgres://user:password@host:5432/database, a credential because it holds the password. */
  pgUrl?: string;
}

const OPERATION_WORD: Record<Change['operation'], string> = {
  POST: 'create',
  PUT: 'update',
  DELETE: 'delete',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export = function (RED: NodeAPI) {
  function OpenAdr3VtnNode(this: Node<VtnCredentials>, rawConfig: VtnNodeDef) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    let vtn: Vtn | undefined;
    let closing = false;
    let statusTimer: NodeJS.Timeout | undefined;
    /** Marks changes made by this node's own input: those are answered, not echoed. */
    const origin = `flow:${node.id}`;

    let config: VtnNodeDef;
    try {
      config = migrateConfig(rawConfig, []);
    } catch (err) {
      node.status(statusShape.error((err as Error).message));
      node.error((err as Error).message);
      return;
    }
    const port = Number(config.port ?? 8080);
    const host = (config.host || '127.0.0.1').trim();
    const tokenLifetime = Number(config.tokenLifetime || 3600);
    const webhookAttempts = Math.max(1, Math.round(Number(config.webhookAttempts || 8)));
    const mqttUrl = (config.mqttUrl ?? '').trim();
    if (mqttUrl && !/^(mqtts?|wss?|tcp|ssl):\/\/[^/]+/.test(mqttUrl)) {
      node.status(statusShape.error('bad MQTT broker URL'));
      node.error(`mqttUrl: "${mqttUrl}" is not a broker URL such as mqtt://127.0.0.1:1883`);
      return;
    }
    let clients = DEMO_CLIENTS;
    try {
      const text = node.credentials?.clients ?? '';
      if (text.trim()) clients = parseClients(text);
    } catch (err) {
      node.status(statusShape.error((err as Error).message));
      node.error((err as Error).message);
      return;
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      node.status(statusShape.error(`port must be 0..65535 (got ${config.port})`));
      node.error(`port must be an integer 0..65535 (got ${config.port})`);
      return;
    }
    const userDir = (RED.settings as { userDir?: string }).userDir ?? path.join(os.homedir(), '.node-red');
    const pgUrl = node.credentials?.pgUrl?.trim() ?? '';
    if (config.storeType === 'postgres' && !isPostgresUrl(pgUrl)) {
      const why = 'Database URL must be a postgres://user:password@host:5432/database URL';
      node.status(statusShape.error(why));
      node.error(`${why} (store is PostgreSQL)`);
      return;
    }
    const storeFile =
      config.storeType === 'postgres'
        ? pgUrl
        : config.storeType === 'memory'
          ? ':memory:'
          : config.storePath?.trim() || path.join(userDir, 'openadr3-vtn', `${node.id}.db`);
    const pgConsistency = config.pgConsistency === 'notify' ? 'notify' : 'strict';
    // The non-default poll check shows, so nobody wonders why a poll missed a millisecond-old change.
    const storeLabel =
      config.storeType === 'postgres' ? ` · PostgreSQL${pgConsistency === 'notify' ? ' (notify)' : ''}` : '';
    const demoOnNetwork =
      usesDemoSecrets(clients) && !(host === 'localhost' || host === '::1' || host.startsWith('127.'));
    let boundPort = port;

    let healthTimer: NodeJS.Timeout | undefined;
    let lastStoreError = '';
    /** Red while the database is unreachable; the API answers 503 meanwhile (see createVtn). */
    const storeDown = (err: Error | string): void => {
      if (closing) return;
      // The store's message already starts "database unavailable (what it was doing): ".
      const why = (typeof err === 'string' ? err : err.message).replace(
        /^database unavailable( \([^)]*\))?: /,
        '',
      );
      node.status(statusShape.error(`database unavailable: ${why}`));
      if (why !== lastStoreError) node.error(`VTN database unavailable: ${why}`);
      lastStoreError = why;
    };
    const showStatus = (): void => {
      if (!vtn || closing) return;
      const v = vtn;
      guardTask(
        node,
        async () => {
          const c = await v.service.counts();
          const d = await v.store.deliverySummary();
          if (closing) return;
          const text = `listening :${boundPort}${storeLabel} · ${plural(c.PROGRAM, 'program')} · ${plural(c.EVENT, 'event')} · ${c.VEN} VEN${c.VEN === 1 ? '' : 's'}`;
          if (demoOnNetwork) node.status(statusShape.waiting(`demo secrets on ${host}! ${text}`));
          else if (d.dead > 0)
            node.status(statusShape.waiting(`${plural(d.dead, 'dead webhook')} · ${text}`));
          else node.status(statusShape.ok(text));
          lastStoreError = '';
        },
        storeDown,
      );
    };
    const scheduleStatus = (): void => {
      if (statusTimer || closing) return;
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        showStatus();
      }, 100);
    };

    const started = (async () => {
      node.status(statusShape.waiting(`starting on ${host}:${port}`));
      const v = await createVtn({
        store: storeFile,
        pgConsistency,
        basePath: config.basePath || undefined,
        clients,
        tokenLifetimeSeconds: tokenLifetime,
        allowInsecureCallbacks: !!config.allowInsecureCallbacks,
        cascadeDeletes: !!config.cascadeDeletes,
        blCanDeleteReports: !!config.blCanDeleteReports,
        webhooks: { maxAttempts: webhookAttempts },
        mqtt: mqttUrl ? { url: mqttUrl } : undefined,
        onChange: (change) => {
          scheduleStatus();
          if (change.origin === origin) return;
          node.send({
            topic: change.objectType,
            operation: OPERATION_WORD[change.operation],
            payload: change.object,
            ...(change.remote ? { remote: true } : {}),
          } as unknown as NodeMessageInFlow);
        },
        onDelivery: (e) => {
          if (!e.ok) scheduleStatus();
          if (e.dead)
            node.warn(`webhook to ${e.entry.callbackUrl} is dead after repeated failures: ${e.error}`);
        },
        onError: (err) => node.error(`VTN internal error: ${err.message}`),
        // At once, not at the next health check; back to the normal status when it returns.
        onStoreHealth: (h) => (h.available ? showStatus() : storeDown(h.error ?? 'unreachable')),
      });
      if (closing) {
        await v.close();
        return;
      }
      vtn = v;
      try {
        const bound = await v.listen(port, host);
        boundPort = bound.port;
      } catch (err) {
        vtn = undefined;
        await v.close();
        throw err;
      }
      if (closing) return;
      if (demoOnNetwork)
        node.warn(`the VTN on ${host} accepts the demo client secrets; set your own clients`);
      showStatus();
      // A database on another host can go away and come back: check it, so the status stays honest.
      if (v.store.shared) {
        healthTimer = setInterval(showStatus, 5000);
        healthTimer.unref();
      }
    })();
    started.catch((err: Error) => {
      node.status(statusShape.error(`cannot start: ${err.message}`));
      node.error(`cannot start the VTN on ${host}:${port}: ${err.message}`);
    });

    handleInput(
      node,
      async (msg, send) => {
        await started;
        if (!vtn) throw new Error('the VTN is not running');
        const m = msg as NodeMessageInFlow & { operation?: unknown };
        const result = await runFlowOperation(vtn.service, m.topic, m.operation, m.payload, origin);
        send({
          ...m,
          topic: String(result.object.objectType),
          operation: result.operation,
          payload: result.object,
        });
        // One operation at a time, in order: an upsert looks up by name and then writes, and on an
        // asynchronous store (PostgreSQL) two upserts of one name would otherwise race into a 409.
      },
      { serial: true },
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      if (statusTimer) clearTimeout(statusTimer);
      if (healthTimer) clearInterval(healthTimer);
      const finish = (): void => {
        node.status(statusShape.stopped('stopped'));
        done();
      };
      started
        .catch(() => undefined)
        .then(() => vtn?.close())
        .then(finish, (err: Error) => {
          node.error(`closing the VTN: ${err.message}`);
          finish();
        });
    });
  }

  RED.nodes.registerType(
    'openadr3-vtn',
    OpenAdr3VtnNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1],
    {
      credentials: { clients: { type: 'text' }, pgUrl: { type: 'password' } },
    },
  );
};

/**
 * openadr3-vtn: an OpenADR 3.0.1 + 3.1.0 VTN served from inside Node-RED (thin adapter over createVtn).
 * Output: one message per change; input: BL operations on programs/events from the flow.
 * The settings are read in settings.ts; the running VTN and the node's status live in vtn-runner.ts.
 */
import type { Node, NodeAPI } from 'node-red';
import { serveConfigMigrations } from '../shared/config-migration-editor';
import { handleInput } from '../shared/input';
import { packLimits } from '../shared/limits';
import { registerType } from '../shared/red';
import { statusShape } from '../shared/status';
import { VTN_MIGRATIONS } from './migrations';
import { readSettings, Refusal, type VtnCredentials, type VtnNodeDef, type VtnSettings } from './settings';
import { VtnRunner } from './vtn-runner';

export = function (RED: NodeAPI) {
  serveConfigMigrations(RED, VTN_MIGRATIONS);
  function OpenAdr3VtnNode(this: Node<VtnCredentials>, rawConfig: VtnNodeDef) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    let settings: VtnSettings;
    try {
      settings = readSettings(RED, node, rawConfig);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      node.status(statusShape.error(err.statusText));
      node.error(err.message);
      return;
    }
    const runner = new VtnRunner(RED, node, settings);

    const { maxPayloadDepth } = packLimits(RED);
    handleInput(
      node,
      RED._,
      async (msg, send) => {
        const result = await runner.runOperation(msg, maxPayloadDepth);
        send({
          ...msg,
          topic: String(result.object.objectType),
          operation: result.operation,
          payload: result.object,
        });
        // One operation at a time, in order: an upsert looks up by name and then writes, and on an
        // asynchronous store (PostgreSQL) two upserts of one name would otherwise race into a 409.
      },
      { serial: true },
    );

    node.on('close', (_removed: boolean, done: () => void) => runner.close(done));
  }

  registerType(RED, 'openadr3-vtn', OpenAdr3VtnNode, {
    credentials: { clients: { type: 'text' }, pgUrl: { type: 'password' } },
  });
};

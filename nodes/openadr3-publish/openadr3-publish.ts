/**
 * openadr3-publish (business logic): puts an OpenADR event (e.g. from olivine-prices) or a
 * program on a VTN. Events: ensures the program exists (creates it by name when missing),
 * then creates the event or replaces the one with the same eventName; optional retention
 * deletes events that ended more than N days ago. Output: the stored object.
 */
import fs from 'fs';
import path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  isPlaceholderId,
  OpenAdrEvent,
  Program,
  publishEvent,
  upsertProgram,
} from '../../src/openadr/client';
import { packageRoot } from '../../src/package-info';
import { processClock } from '../../src/time/clock';
import { migrateConfig } from '../shared/config-version';
import { handleInput } from '../shared/input';
import { statusFor } from '../shared/status';
import { clientOrWait, followHealth, rememberOk, showSetupProblem, vtnConfig } from '../shared/vtn';

interface PublishDef extends NodeDef {
  vtn: string;
  programName: string;
  retentionDays: string | number;
  configVersion?: number;
}

function defaultProgramTemplate(): Partial<Program> {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(packageRoot(), 'sample_data', 'program_pricing.json'), 'utf8'),
    ) as Program;
  } catch {
    return {};
  }
}

export = function (RED: NodeAPI): void {
  function PublishNode(this: Node, def: PublishDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = rememberOk(statusFor(node));
    const config = migrateConfig(def, []);
    const retention =
      config.retentionDays === '' || config.retentionDays === undefined
        ? undefined
        : Number(config.retentionDays);
    let stopHealth: (() => void) | undefined;
    try {
      stopHealth = followHealth(vtnConfig(RED, config.vtn).getClient(), status, status.restore);
    } catch (err) {
      showSetupProblem(status, err);
    }

    handleInput(
      node,
      async (msg, send) => {
        const client = clientOrWait(RED, config.vtn, status);
        if (!client) return; // an imported flow before its credentials are entered
        const payload = msg.payload as Record<string, unknown> | undefined;
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
          throw new Error(
            'msg.payload must be an OpenADR event (with intervals) or a program (with programName)',
          );
        }
        if (retention !== undefined && (!Number.isFinite(retention) || retention < 0)) {
          throw new Error(
            `retention (days) must be a number ≥ 0, got ${JSON.stringify(config.retentionDays)}`,
          );
        }
        status.waiting('publishing…');
        const isEvent = Array.isArray(payload.intervals);
        const result = isEvent
          ? await publishEvent(client, payload as unknown as OpenAdrEvent, {
              programName: config.programName?.trim() || undefined,
              // An event that already names a real program goes there; otherwise into the configured
              // program, or the sample program (program_pricing.json), created when missing.
              programTemplate: {
                ...(config.programName?.trim() || isPlaceholderId(payload.programID)
                  ? defaultProgramTemplate()
                  : {}),
                ...((msg as { program?: Partial<Program> }).program ?? {}),
                ...(config.programName?.trim() ? { programName: config.programName.trim() } : {}),
              },
              retentionDays: retention,
              now: processClock().now,
            })
          : typeof payload.programName === 'string'
            ? await upsertProgram(client, payload as unknown as Program)
            : (() => {
                throw new Error(
                  'msg.payload is neither an event (no intervals array) nor a program (no programName)',
                );
              })();
        const name =
          result.kind === 'event'
            ? (result.stored as OpenAdrEvent).eventName
            : (result.stored as Program).programName;
        const deleted = result.deleted.length ? ` · ${result.deleted.length} old deleted` : '';
        status.ok(`${result.action} ${result.kind} ${name ?? result.stored.id}${deleted}`);
        send({
          ...msg,
          payload: result.stored,
          action: result.action,
          kind: result.kind,
          program: result.program,
          programCreated: result.programCreated,
          deleted: result.deleted,
        });
        // One message at a time: two price updates arriving together would both find no program
        // (or no event of that name) and both create one.
      },
      { serial: true },
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      stopHealth?.();
      done();
    });
  }
  RED.nodes.registerType('openadr3-publish', PublishNode as unknown as (this: Node, def: NodeDef) => void);
};

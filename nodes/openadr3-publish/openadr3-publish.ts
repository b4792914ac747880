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
  PublishResult,
  upsertProgram,
} from '../../src/openadr/client';
import { packageRoot } from '../../src/package-info';
import { processClock } from '../../src/time/clock';
import { migrateConfig } from '../shared/config-version';
import { handleInput } from '../shared/input';
import { packLimits } from '../shared/limits';
import { checkDepth } from '../../src/limits';
import { registerType } from '../shared/red';
import { statusFor } from '../shared/status';
import {
  clientOrWait,
  followHealth,
  rememberOk,
  requestProblemText,
  showSetupProblem,
  tlsAwareStatus,
  vtnConfig,
} from '../shared/vtn';

interface PublishDef extends NodeDef {
  vtn: string;
  programName: string;
  retentionDays: string | number;
  configVersion?: number;
}

/** The status after a publish, by what the VTN did with what. */
const PUBLISHED: Record<PublishResult['action'], Record<PublishResult['kind'], string>> = {
  created: {
    event: 'openadr3-publish.status.createdEvent',
    program: 'openadr3-publish.status.createdProgram',
  },
  replaced: {
    event: 'openadr3-publish.status.replacedEvent',
    program: 'openadr3-publish.status.replacedProgram',
  },
  unchanged: {
    event: 'openadr3-publish.status.unchangedEvent',
    program: 'openadr3-publish.status.unchangedProgram',
  },
};

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
    const status = rememberOk(tlsAwareStatus(RED, def.vtn, statusFor(node)));
    const config = migrateConfig(def, [], RED._);
    const retention =
      config.retentionDays === '' || config.retentionDays === undefined
        ? undefined
        : Number(config.retentionDays);
    let stopHealth: (() => void) | undefined;
    const { maxPayloadDepth } = packLimits(RED);
    try {
      stopHealth = followHealth(vtnConfig(RED, config.vtn).getClient(), status, RED._, status.restore);
    } catch (err) {
      showSetupProblem(status, err);
    }

    handleInput(
      node,
      RED._,
      async (msg, send) => {
        const client = clientOrWait(RED, config.vtn, status);
        if (!client) return; // an imported flow before its credentials are entered
        const payload = msg.payload as Record<string, unknown> | undefined;
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
          throw new Error(RED._('openadr3-publish.errors.payload'));
        }
        // Checked before anything is sent: the object goes to the VTN as JSON.
        checkDepth(payload, maxPayloadDepth, 'msg.payload');
        checkDepth((msg as { program?: unknown }).program, maxPayloadDepth, 'msg.program');
        if (retention !== undefined && (!Number.isFinite(retention) || retention < 0)) {
          throw new Error(
            RED._('openadr3-publish.errors.retention', { value: JSON.stringify(config.retentionDays) }),
          );
        }
        status.waiting(RED._('openadr3-publish.status.publishing'));
        const isEvent = Array.isArray(payload.intervals);
        node.debug(
          RED._('openadr3-publish.debug.publishing', {
            kind: isEvent ? 'event' : 'program',
            name: String(payload.eventName ?? payload.programName ?? ''),
            id: msg._msgid,
          }),
        );
        const result = isEvent
          ? await publishEvent(client, payload as OpenAdrEvent, {
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
            ? await upsertProgram(client, payload as Program)
            : (() => {
                throw new Error(RED._('openadr3-publish.errors.neither'));
              })();
        const name =
          result.kind === 'event'
            ? (result.stored as OpenAdrEvent).eventName
            : (result.stored as Program).programName;
        const text = RED._(PUBLISHED[result.action][result.kind], { name: String(name ?? result.stored.id) });
        node.debug(
          RED._('openadr3-publish.debug.published', {
            text,
            id: String(result.stored.id),
            program: String(result.program?.programName ?? result.program?.id ?? ''),
            programCreated: result.programCreated ? RED._('openadr3-publish.debug.programCreated') : '',
            deleted: result.deleted.length,
          }),
        );
        status.ok(
          result.deleted.length
            ? RED._('openadr3-publish.status.withDeleted', { text, count: result.deleted.length })
            : text,
        );
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
      // A refused TLS connection in the user's language (the log keeps the full message).
      { serial: true, errorStatus: (err) => requestProblemText(err, RED._) },
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      stopHealth?.();
      done();
    });
  }
  registerType(RED, 'openadr3-publish', PublishNode);
};

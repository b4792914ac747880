/**
 * openadr3-report (VEN): posts water-heater telemetry as an OpenADR 3.0.1 report answering an
 * event, keeping one open report per event up to date (create, then replace with one more
 * interval per sample). The event comes from `msg.event`, from an earlier message carrying
 * events (wire openadr3-ven output 1 here), or from the node's configured event id.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  OpenAdrEvent,
  pickEvent,
  OpenReportState,
  readTelemetry,
  upsertTelemetryReport,
} from '../../src/openadr/client';
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

interface ReportDef extends NodeDef {
  vtn: string;
  clientName: string;
  resourceName: string;
  reportName: string;
  eventID: string;
  maxIntervals: string | number;
  configVersion?: number;
}

type EventRef = Pick<OpenAdrEvent, 'id' | 'programID'> & Partial<OpenAdrEvent>;

function isEventLike(value: unknown): value is OpenAdrEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    'programID' in value &&
    Array.isArray((value as OpenAdrEvent).intervals)
  );
}

/** Events with an open report kept in memory (the current one and a few late stragglers). */
const OPEN_REPORTS_KEPT = 4;

export = function (RED: NodeAPI): void {
  function ReportNode(this: Node, def: ReportDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = rememberOk(tlsAwareStatus(RED, def.vtn, statusFor(node)));
    const config = migrateConfig(def, [], RED._);
    const maxIntervals = Number(config.maxIntervals) > 0 ? Number(config.maxIntervals) : 96;
    const openReports = new Map<string, OpenReportState>();
    let currentEvent: EventRef | undefined;
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
        const m = msg as typeof msg & { event?: unknown; eventID?: unknown; programID?: unknown };
        // Checked before anything is read: telemetry and events go to the VTN as JSON.
        checkDepth(m.payload, maxPayloadDepth, 'msg.payload');
        checkDepth(m.event, maxPayloadDepth, 'msg.event');
        // Events (e.g. from openadr3-ven output 1): remember which one to answer, send nothing.
        if (Array.isArray(m.payload) && m.payload.every(isEventLike)) {
          currentEvent = pickEvent(m.payload as OpenAdrEvent[], processClock().now());
          status.ok(
            currentEvent
              ? RED._('openadr3-report.status.answering', {
                  event: String(currentEvent.eventName ?? currentEvent.id),
                })
              : RED._('openadr3-report.status.noEvent'),
          );
          return;
        }
        if (isEventLike(m.payload)) {
          currentEvent = m.payload;
          status.ok(
            RED._('openadr3-report.status.answering', {
              event: String(currentEvent.eventName ?? currentEvent.id),
            }),
          );
          return;
        }
        const sample = readTelemetry(m.payload);
        let event: EventRef | undefined;
        if (isEventLike(m.event) || (typeof m.event === 'object' && m.event !== null && 'id' in m.event))
          event = m.event as EventRef;
        else if (typeof m.eventID === 'string' && typeof m.programID === 'string')
          event = { id: m.eventID, programID: m.programID };
        else event = currentEvent;
        if (!event && config.eventID?.trim()) {
          const fetched = await client.getEvent(config.eventID.trim());
          currentEvent = fetched;
          event = fetched;
        }
        if (!event) {
          throw new Error(RED._('openadr3-report.errors.noEvent'));
        }
        node.debug(
          RED._('openadr3-report.debug.answering', {
            event: String(event.id),
            program: String(event.programID),
          }),
        );
        if (!config.clientName?.trim()) throw new Error(RED._('openadr3-report.errors.clientName'));
        const key = String(event.id);
        const state = openReports.get(key) ?? { intervals: [] };
        // Most recently used last; only the last few events keep an open report. Why: a daily price
        // event is a new event id every day, and a map that never forgets grows for as long as
        // Node-RED runs (found by the soak test).
        openReports.delete(key);
        openReports.set(key, state);
        while (openReports.size > OPEN_REPORTS_KEPT) openReports.delete(openReports.keys().next().value!);
        const { stored, created } = await upsertTelemetryReport(client, state, sample, event, {
          clientName: config.clientName.trim(),
          resourceName: config.resourceName?.trim() || undefined,
          reportName: config.reportName?.trim() || undefined,
          maxIntervals,
        });
        node.debug(
          RED._('openadr3-report.debug.reported', {
            report: String(stored.id ?? stored.reportName ?? ''),
            action: created ? 'created' : 'updated',
            event: key,
            count: state.intervals.length,
            time: sample.time,
          }),
        );
        status.ok(
          RED._(created ? 'openadr3-report.status.created' : 'openadr3-report.status.updated', {
            count: state.intervals.length,
            time: sample.time.slice(11, 16),
          }),
        );
        send({ ...msg, payload: stored, created, event });
        // One sample at a time: two arriving together would both find no open report and create two.
      },
      // A refused TLS connection in the user's language (the log keeps the full message).
      { serial: true, errorStatus: (err) => requestProblemText(err, RED._) },
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      stopHealth?.();
      done();
    });
  }
  registerType(RED, 'openadr3-report', ReportNode);
};

/**
 * `hpwh-dispatch`: drives any water heater a flow can switch. Input: a schedule (either
 * scheduler's output) or a single command. Output: at every boundary the command due, in the
 * shape the user picked (command + CTA-2045 signal, SG-Ready relays, Home Assistant
 * water_heater action, generic JSON). Thin adapter over src/device/dispatch.ts; the schedule,
 * the single command and the SG-Ready lock history are kept in node context so a restart or a
 * redeploy goes on with the command due now.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  DeviceDispatch,
  DeviceDispatchOptions,
  DispatchEmission,
  DispatchMemory,
  isSchedulePayload,
  LimitWarning,
  OUTPUT_SHAPES,
  OutputShape,
  parseSetpointConfig,
  parseSgReadyMap,
  parseSingleCommand,
  CommandName,
} from '../../src/device';
import { processClock } from '../../src/time/clock';
import { instantOf } from '../../src/time/datetime';
import { clearInputFailure, guardTask, handleInput, inputFailed, sendSafely } from '../shared/input';
import { migrateConfig } from '../shared/config-version';
import { packLimits } from '../shared/limits';
import { asMessage } from '../shared/red';
import type { Translate } from '../shared/i18n';
import { statusFor } from '../shared/status';
import { toError } from '../shared/errors';

interface DispatchConfig extends NodeDef {
  configVersion?: number;
  shape?: string;
  topic?: string;
  sgShed?: string | number;
  sgNormal?: string | number;
  sgLoadup?: string | number;
  sgAdvancedLoadup?: string | number;
  maxLockMinutes?: string | number;
  minReleaseMinutes?: string | number;
  entityId?: string;
  unit?: string;
  tempShed?: string | number;
  tempNormal?: string | number;
  tempLoadup?: string | number;
  tempAdvancedLoadup?: string | number;
  modeShed?: string;
  modeNormal?: string;
  modeLoadup?: string;
  modeAdvancedLoadup?: string;
}

/** Node context key of what survives a restart (with a persistent context store). */
const MEMORY_KEY = 'dispatchMemory';

/**
 * The same, per node id, for a redeploy: without a configured context store Node-RED deletes a
 * node's context whenever the node stops, so a redeploy would forget the plan.
 */
const redeployMemory = new Map<string, DispatchMemory>();

const MODE_KEY: Record<CommandName, string> = {
  shed: 'hpwh-dispatch.mode.shed',
  normal: 'hpwh-dispatch.mode.normal',
  loadup: 'hpwh-dispatch.mode.loadup',
  'advanced-loadup': 'hpwh-dispatch.mode.advancedLoadup',
  'critical-peak': 'hpwh-dispatch.mode.criticalPeak',
  'grid-emergency': 'hpwh-dispatch.mode.gridEmergency',
};

function minutes(value: unknown, fallback: number, field: string, t: Translate): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(t('hpwh-dispatch.errors.minutes', { field, value: String(value) }));
  return n;
}

/** Editor config → core options; errors name the field. */
function optionsFromConfig(config: DispatchConfig, t: Translate): Omit<DeviceDispatchOptions, 'clock'> {
  const shape = (config.shape || 'command') as OutputShape;
  if (!OUTPUT_SHAPES.includes(shape))
    throw new Error(t('hpwh-dispatch.errors.shape', { shape: String(config.shape) }));
  const options: Omit<DeviceDispatchOptions, 'clock'> = { shape, topic: (config.topic ?? '').trim() };
  if (shape === 'sg-ready') {
    options.sgReadyMap = parseSgReadyMap({
      shed: config.sgShed ?? 1,
      normal: config.sgNormal ?? 2,
      loadup: config.sgLoadup ?? 3,
      'advanced-loadup': config.sgAdvancedLoadup ?? 4,
    });
    options.sgReadyLimits = {
      maxLockMs: minutes(config.maxLockMinutes, 120, 'maxLockMinutes', t) * 60_000,
      minReleaseMs: minutes(config.minReleaseMinutes, 60, 'minReleaseMinutes', t) * 60_000,
    };
  }
  if (shape === 'setpoint') {
    options.setpoint = parseSetpointConfig({
      entityId: config.entityId,
      unit: config.unit || 'C',
      temperatures: {
        shed: config.tempShed,
        normal: config.tempNormal,
        loadup: config.tempLoadup,
        'advanced-loadup': config.tempAdvancedLoadup,
      },
      modes: {
        shed: config.modeShed,
        normal: config.modeNormal,
        loadup: config.modeLoadup,
        'advanced-loadup': config.modeAdvancedLoadup,
      },
    });
  }
  return options;
}

function hhmm(iso: string): string {
  return new Date(instantOf(iso)).toTimeString().slice(0, 5);
}

/** The status line: the command in force and until when (and the SG-Ready state). */
function statusText(RED: NodeAPI, e: DispatchEmission): string {
  const mode = RED._(MODE_KEY[e.message.command]);
  const sg = (e.message.payload as { state?: number }).state;
  const text =
    e.message.until === null
      ? mode
      : RED._('hpwh-dispatch.status.until', { mode, time: hhmm(e.message.until) });
  return typeof sg === 'number' ? RED._('hpwh-dispatch.status.sgReady', { text, state: sg }) : text;
}

export = function (RED: NodeAPI) {
  function HpwhDispatch(this: Node, raw: DispatchConfig) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = statusFor(node);
    let dispatch: DeviceDispatch;
    try {
      const config = migrateConfig(raw, [], RED._);
      dispatch = new DeviceDispatch({
        ...optionsFromConfig(config, RED._),
        clock: processClock(),
        maxScheduleIntervals: packLimits(RED).maxScheduleIntervals,
      });
    } catch (err) {
      const e = toError(err);
      status.error(e.message);
      node.error(e.message);
      handleInput(node, RED._, () => {
        throw e;
      });
      return;
    }
    const context = node.context();
    const showStatus = (): void => {
      // A rejected message's red status stays until a later message is handled.
      if (inputFailed(node)) return;
      if (!dispatch.current) status.waiting(RED._('hpwh-dispatch.status.noPlan'));
      else status.ok(statusText(RED, dispatch.current));
    };

    // Boundaries, limits and restarts send on their own; what a message causes is sent as the
    // answer to that message (its _msgid and other properties kept).
    const fromInput = new Set(['schedule', 'command']);
    dispatch.on('output', (e: DispatchEmission) =>
      guardTask(node, () => {
        if (!fromInput.has(e.trigger))
          sendSafely(node, asMessage({ ...e.message, trigger: e.trigger }), RED._);
        showStatus();
      }),
    );
    dispatch.on('warning', (w: LimitWarning) =>
      guardTask(node, () =>
        node.warn(
          RED._(
            w.kind === 'max-lock' ? 'hpwh-dispatch.warnings.maxLock' : 'hpwh-dispatch.warnings.minRelease',
            {
              time: w.until === null ? '—' : hhmm(new Date(w.until).toISOString()),
            },
          ),
        ),
      ),
    );
    // The context is read and written with callbacks: a store without a cache (localfilesystem
    // with cache off) answers only that way.
    let planSinceStart = false;
    let closed = false;
    dispatch.on('persist', (memory: DispatchMemory) =>
      guardTask(node, () => {
        redeployMemory.set(node.id, memory);
        context.set(MEMORY_KEY, memory, (err?: Error) => {
          if (err) node.warn(RED._('hpwh-dispatch.warnings.memoryWrite', { error: toError(err).message }));
        });
      }),
    );
    // What a previous instance remembered goes out once the flows run, so the message reaches
    // nodes that start after this one; a plan that arrived meanwhile wins.
    const restore = (): void =>
      context.get(MEMORY_KEY, (err: Error | undefined, stored: unknown) =>
        guardTask(node, () => {
          if (closed || planSinceStart) return;
          try {
            if (err) throw err;
            dispatch.restore((stored as DispatchMemory | undefined) ?? redeployMemory.get(node.id));
          } catch (e) {
            // A remembered plan that cannot be read is dropped, not fatal: the next plan replaces it.
            node.warn(RED._('hpwh-dispatch.warnings.memory', { error: toError(e).message }));
          }
        }),
      );
    RED.events.once('flows:started', restore);
    showStatus();

    handleInput(node, RED._, (msg, send) => {
      const payload = (msg as { payload?: unknown }).payload;
      let e: DispatchEmission;
      if (isSchedulePayload(payload)) e = dispatch.setSchedule(payload.intervals);
      else if (typeof payload === 'string' || (typeof payload === 'object' && payload !== null))
        e = dispatch.command(parseSingleCommand(payload));
      else throw new Error(RED._('hpwh-dispatch.errors.payload'));
      planSinceStart = true;
      clearInputFailure(node);
      showStatus();
      send(asMessage({ ...msg, ...e.message, trigger: e.trigger }));
    });

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      if (removed) redeployMemory.delete(node.id);
      RED.events.removeListener('flows:started', restore);
      dispatch.stop();
      dispatch.removeAllListeners();
      done();
    });
  }

  RED.nodes.registerType('hpwh-dispatch', HpwhDispatch);
};

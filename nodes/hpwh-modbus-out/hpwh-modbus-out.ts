/**
 * hpwh-modbus-out: drive a water heater (or its controller) over Modbus TCP or RTU from a
 * schedule or single commands. Thin adapter over src/modbus (createModbusWaterHeater).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  createModbusWaterHeater,
  defaultRegisterMap,
  ModbusWaterHeater,
  validateRegisterMap,
} from '../../src/index';
import type { ModbusCommand, ModbusCommandResult, ModbusConnection, ModbusTelemetry } from '../../src/index';
import type { DesiredMode } from '../../src/modbus/water-heater';
import type { InputHandler } from '../shared/input';
import { clearInputFailure, guardTask, handleInput, inputFailed, sendSafely } from '../shared/input';
import { packLimits } from '../shared/limits';
import { asMessage } from '../shared/red';
import { statusFor } from '../shared/status';
import { migrateConfig } from '../shared/config-version';
import { toError } from '../shared/errors';
import { readNumber } from '../shared/config';

interface ModbusOutConfig extends NodeDef {
  configVersion?: number;
  transport?: string;
  host?: string;
  port?: string | number;
  serialPath?: string;
  baudRate?: string | number;
  unitId?: string | number;
  timeoutMs?: string | number;
  registerMap?: string;
  pollSeconds?: string | number;
  reconnectSeconds?: string | number;
  reassertMinutes?: string | number;
}

/** Message keys of the command names a status shows. */
const MODE_KEY: Record<ModbusCommand, string> = {
  shed: 'hpwh-modbus-out.mode.shed',
  normal: 'hpwh-modbus-out.mode.normal',
  loadup: 'hpwh-modbus-out.mode.loadup',
  'advanced-loadup': 'hpwh-modbus-out.mode.advancedLoadup',
  'critical-peak': 'hpwh-modbus-out.mode.criticalPeak',
  'grid-emergency': 'hpwh-modbus-out.mode.gridEmergency',
};

// Unchecked here: the core checks the connection and names a bad field.
const num = (v: unknown, fallback: number): number => readNumber(v, fallback);

/** Editor config → connection settings (checked by the core, which names bad fields). */
function connectionFromConfig(config: ModbusOutConfig): ModbusConnection {
  const unitId = num(config.unitId, 1);
  const timeoutMs = num(config.timeoutMs, 1000);
  if (config.transport === 'rtu')
    return {
      transport: 'rtu',
      path: config.serialPath ?? '',
      baudRate: num(config.baudRate, 19200),
      unitId,
      timeoutMs,
    };
  return { transport: 'tcp', host: config.host ?? '', port: num(config.port, 502), unitId, timeoutMs };
}

function hhmm(iso: number): string {
  return new Date(iso).toTimeString().slice(0, 5);
}

type Status = ReturnType<typeof statusFor>;

/** The heater for this config, or the error that stops it (shown red, every message fails with it). */
function createHeater(RED: NodeAPI, rawConfig: ModbusOutConfig): ModbusWaterHeater {
  const config = migrateConfig(rawConfig, [], RED._);
  const mapText = (config.registerMap ?? '').trim();
  return createModbusWaterHeater({
    connection: connectionFromConfig(config),
    map: mapText === '' ? undefined : mapText,
    pollIntervalMs: Math.max(0, num(config.pollSeconds, 30)) * 1000,
    reconnectIntervalMs: Math.max(0.1, num(config.reconnectSeconds, 5)) * 1000,
    reassertIntervalMs: Math.max(0, num(config.reassertMinutes, 15)) * 60 * 1000,
    maxScheduleIntervals: packLimits(RED).maxScheduleIntervals,
  });
}

/** Show the link state, or the command in force and until when. */
function modeShower(RED: NodeAPI, node: Node, status: Status, heater: ModbusWaterHeater) {
  let lastMode: DesiredMode | undefined;
  const show = (): void => {
    // A rejected message's red status stays until a later message is handled or the link
    // changes: a schedule boundary or a re-assert says nothing new about that message.
    if (inputFailed(node)) return;
    if (!heater.linkUp) {
      status.error(
        RED._('hpwh-modbus-out.status.linkDown', {
          reason: heater.linkError ?? RED._('hpwh-modbus-out.status.connectingReason'),
        }),
      );
      return;
    }
    const mode = lastMode;
    if (!mode) status.ok(RED._('hpwh-modbus-out.status.noCommand'));
    else if (mode.until)
      status.ok(
        RED._('hpwh-modbus-out.status.modeUntil', {
          mode: RED._(MODE_KEY[mode.command]),
          time: hhmm(mode.until),
        }),
      );
    else status.ok(RED._(MODE_KEY[mode.command]));
  };
  return {
    show,
    setMode: (mode: DesiredMode | undefined) => {
      lastMode = mode;
      show();
    },
  };
}

/** Heater events → outputs (1: telemetry, 2: command results), warnings and status. */
function wireHeater(
  RED: NodeAPI,
  node: Node,
  status: Status,
  h: ModbusWaterHeater,
  modes: ReturnType<typeof modeShower>,
): void {
  h.on('link', () =>
    guardTask(node, () => {
      clearInputFailure(node);
      modes.show();
    }),
  );
  h.on('mode', (mode: DesiredMode | undefined) => guardTask(node, () => modes.setMode(mode)));
  h.on('telemetry', (t: ModbusTelemetry) =>
    guardTask(node, () => {
      const soc = t.energyStoredWh === null ? null : t.energyStoredWh / 1000;
      sendSafely(node, [asMessage({ topic: 'telemetry', payload: t, soc }), null], RED._);
    }),
  );
  h.on('result', (r: ModbusCommandResult) =>
    guardTask(node, () => {
      sendSafely(node, [null, asMessage({ topic: 'result', payload: r })], RED._);
      if (r.status === 'failed' && !inputFailed(node))
        status.error(
          RED._('hpwh-modbus-out.status.failed', {
            mode: RED._(MODE_KEY[r.command]),
            reason: r.reason ?? RED._('hpwh-modbus-out.status.failedReason'),
          }),
        );
      else modes.show();
    }),
  );
  // A controller that rejects one state register would repeat the same warning every poll:
  // log a warning once until it changes or a poll succeeds (as node-red-node-serialport does).
  let lastWarning = '';
  h.on('warning', (err: Error) =>
    guardTask(node, () => {
      if (err.message === lastWarning) return;
      lastWarning = err.message;
      node.warn(err.message);
    }),
  );
  h.on('telemetry', () => (lastWarning = ''));
}

/** One input message: a command name, a schedule, or {command, durationSeconds}. */
function inputHandler(RED: NodeAPI, heater: ModbusWaterHeater, handled: () => void): InputHandler {
  return async (msg) => {
    const payload = (msg as { payload?: unknown }).payload;
    if (typeof payload === 'string') {
      const pending = heater.command(payload.trim().toLowerCase());
      handled();
      await pending;
      return;
    }
    if (typeof payload === 'object' && payload !== null) {
      const p = payload as { intervals?: unknown; command?: unknown; durationSeconds?: unknown };
      if (p.intervals !== undefined) {
        const pending = heater.followSchedule(p);
        handled();
        await pending;
        return;
      }
      if (typeof p.command === 'string') {
        const pending = heater.command(
          p.command.trim().toLowerCase(),
          p.durationSeconds as number | undefined,
        );
        handled();
        await pending;
        return;
      }
    }
    throw new Error(RED._('hpwh-modbus-out.errors.payload'));
  };
}

function connectionText(config: ModbusOutConfig): string {
  return config.transport === 'rtu'
    ? `${config.serialPath ?? ''}`
    : `${config.host ?? ''}:${config.port ?? 502}`;
}

/** Editor helpers: the EXAMPLE map to start from, and the same validation the runtime uses. */
function registerEditorRoutes(RED: NodeAPI): void {
  const permission = RED.auth.needsPermission('hpwh-modbus-out.read');
  RED.httpAdmin.get('/hpwh-modbus-out/example-map', permission, (_req, res) => {
    res.json(defaultRegisterMap);
  });
  RED.httpAdmin.post('/hpwh-modbus-out/validate-map', permission, (req, res) => {
    const text = typeof req.body?.map === 'string' ? req.body.map.trim() : '';
    if (text === '') {
      res.json({ valid: true, usesExample: true });
      return;
    }
    try {
      const result = validateRegisterMap(JSON.parse(text));
      res.json(result.valid ? { valid: true } : result);
    } catch (err) {
      res.json({
        valid: false,
        errors: [RED._('hpwh-modbus-out.validation.mapJson', { error: toError(err).message })],
      });
    }
  });
}

export = function (RED: NodeAPI) {
  function HpwhModbusOutNode(this: Node, rawConfig: ModbusOutConfig) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const status = statusFor(node);
    let heater: ModbusWaterHeater | undefined;
    try {
      heater = createHeater(RED, rawConfig);
    } catch (err) {
      const setupError = toError(err);
      status.error(setupError.message);
      node.error(setupError.message);
      handleInput(node, RED._, () => {
        throw setupError;
      });
      return;
    }
    const modes = modeShower(RED, node, status, heater);
    wireHeater(RED, node, status, heater, modes);
    status.waiting(RED._('hpwh-modbus-out.status.connecting', { target: connectionText(rawConfig) }));
    heater.start();

    /** A handled message replaces an earlier rejection: show what is in force now. */
    const handled = (): void => {
      clearInputFailure(node);
      modes.show();
    };
    handleInput(node, RED._, inputHandler(RED, heater, handled));

    node.on('close', (_removed: boolean, done: () => void) => {
      const h = heater;
      heater = undefined;
      if (!h) {
        done();
        return;
      }
      h.removeAllListeners();
      h.stop().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('hpwh-modbus-out', HpwhModbusOutNode);
  registerEditorRoutes(RED);
};

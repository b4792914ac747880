/**
 * hpwh-modbus-out: drive a water heater (or its controller) over Modbus TCP or RTU from a
 * schedule or single commands. Thin adapter over src/modbus (createModbusWaterHeater).
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  createModbusWaterHeater,
  defaultRegisterMap,
  ModbusWaterHeater,
  validateRegisterMap,
} from '../../src/index';
import type { ModbusCommand, ModbusCommandResult, ModbusConnection, ModbusTelemetry } from '../../src/index';
import type { DesiredMode } from '../../src/modbus/water-heater';
import { guardTask, handleInput } from '../shared/input';
import { statusFor } from '../shared/status';
import { migrateConfig } from '../shared/config-version';
import { toError } from '../shared/errors';

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

const LABEL: Record<ModbusCommand, string> = {
  shed: 'Shed',
  normal: 'Normal',
  loadup: 'Load Up',
  'advanced-loadup': 'Advanced Load Up',
  'critical-peak': 'Critical Peak',
  'grid-emergency': 'Grid Emergency',
};

const num = (v: unknown, fallback: number): number =>
  v === undefined || v === '' || v === null ? fallback : Number(v);

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

export = function (RED: NodeAPI) {
  function HpwhModbusOutNode(this: Node, rawConfig: ModbusOutConfig) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const status = statusFor(node);
    let heater: ModbusWaterHeater | undefined;
    let setupError: Error | undefined;
    let lastMode: DesiredMode | undefined;

    try {
      const config = migrateConfig(rawConfig, []);
      const mapText = (config.registerMap ?? '').trim();
      heater = createModbusWaterHeater({
        connection: connectionFromConfig(config),
        map: mapText === '' ? undefined : mapText,
        pollIntervalMs: Math.max(0, num(config.pollSeconds, 30)) * 1000,
        reconnectIntervalMs: Math.max(0.1, num(config.reconnectSeconds, 5)) * 1000,
        reassertIntervalMs: Math.max(0, num(config.reassertMinutes, 15)) * 60 * 1000,
      });
    } catch (err) {
      setupError = toError(err);
      status.error(setupError.message);
      node.error(setupError.message);
    }

    const showMode = (): void => {
      if (!heater) return;
      if (!heater.linkUp) {
        status.error(`link down: ${heater.linkError ?? 'connecting'}`);
        return;
      }
      const mode = lastMode;
      if (!mode) status.ok('connected · Normal (no command)');
      else status.ok(`${LABEL[mode.command]}${mode.until ? ` until ${hhmm(mode.until)}` : ''}`);
    };

    if (heater) {
      const h = heater;
      h.on('link', () => guardTask(node, showMode));
      h.on('mode', (mode: DesiredMode | undefined) =>
        guardTask(node, () => {
          lastMode = mode;
          showMode();
        }),
      );
      h.on('telemetry', (t: ModbusTelemetry) =>
        guardTask(node, () => {
          const soc = t.energyStoredWh === null ? null : t.energyStoredWh / 1000;
          node.send([{ topic: 'telemetry', payload: t, soc } as unknown as NodeMessageInFlow, null]);
        }),
      );
      h.on('result', (r: ModbusCommandResult) =>
        guardTask(node, () => {
          node.send([null, { topic: 'result', payload: r } as unknown as NodeMessageInFlow]);
          if (r.status === 'failed') status.error(`${LABEL[r.command]}: ${r.reason ?? 'failed'}`);
          else showMode();
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
      status.waiting(`connecting ${connectionText(rawConfig)}`);
      h.start();
    }

    handleInput(node, async (msg) => {
      if (!heater) throw setupError ?? new Error('not configured');
      const payload = (msg as { payload?: unknown }).payload;
      if (typeof payload === 'string') {
        await heater.command(payload.trim().toLowerCase());
        return;
      }
      if (typeof payload === 'object' && payload !== null) {
        const p = payload as { intervals?: unknown; command?: unknown; durationSeconds?: unknown };
        if (p.intervals !== undefined) {
          await heater.followSchedule(p);
          return;
        }
        if (typeof p.command === 'string') {
          await heater.command(p.command.trim().toLowerCase(), p.durationSeconds as number | undefined);
          return;
        }
      }
      throw new Error(
        'msg.payload: expected a schedule {intervals: [...]}, a command string ("shed", "normal", "loadup", "advanced-loadup", "critical-peak", "grid-emergency") or {command, durationSeconds}',
      );
    });

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

  function connectionText(config: ModbusOutConfig): string {
    return config.transport === 'rtu'
      ? `${config.serialPath ?? ''}`
      : `${config.host ?? ''}:${config.port ?? 502}`;
  }

  RED.nodes.registerType('hpwh-modbus-out', HpwhModbusOutNode);

  // Editor helpers: the EXAMPLE map to start from, and the same validation the runtime uses.
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
      res.json({ valid: false, errors: [`register map: not valid JSON (${toError(err).message})`] });
    }
  });
};

/**
 * Config node `cta2045-port`: one shared CTA-2045 connection to one water heater, over a serial
 * port (RS-485 adapter, 19200 8N1) or the in-process simulated water heater. Reconnects on a
 * timer after an unplug; lists serial ports for the editor (also on machines without udev).
 */
import type { NodeAPI, NodeDef } from 'node-red';
import type { Cta2045PortNode } from './port-node';
import {
  Cta2045Connection,
  listSerialPorts,
  realClock,
  scaledClock,
  SerialTransport,
  SimulatedWire,
  UnsupportedReaction,
  WaterHeaterSimulator,
} from '../../src/cta2045';
import { processClock } from '../../src/time/clock';
import { migrateConfig } from '../shared/config-version';
import { toError } from '../shared/errors';
import { addRoute, httpAdminOf, needsPermission } from '../shared/red';
import type { Translate } from '../shared/i18n';
import { readNumber } from '../shared/config';

interface PortConfig extends NodeDef {
  transport?: 'serial' | 'simulated';
  serialPath?: string;
  baudRate?: number | string;
  reconnectSeconds?: number | string;
  timeScale?: number | string;
  simUnsupported?: UnsupportedReaction;
  echoSuppression?: boolean;
  configVersion?: number;
}

const UNSUPPORTED: readonly UnsupportedReaction[] = [
  'link-nak-06',
  'link-nak-07',
  'app-nak-01',
  'intermediate-rc-01',
  'silent',
];

function positive(value: unknown, fallback: number, field: string, t: Translate): number {
  return readNumber(value, fallback, {
    rule: 'positive',
    error: (text) => new Error(t('cta2045-port.errors.positive', { field, value: text })),
  });
}

export = function (RED: NodeAPI) {
  function Cta2045Port(this: Cta2045PortNode, raw: PortConfig) {
    RED.nodes.createNode(this, raw);
    const node = this;
    node.connection = null;
    node.simulator = null;
    node.wire = null;
    node.clock = realClock;
    node.configError = null;
    const pending = new Set<Promise<unknown>>();
    node.onShutdown = (p) => {
      const tracked = p.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    };

    let owner: string | null = null;
    node.claim = (id) => {
      if (owner && owner !== id) return false;
      owner = id;
      return true;
    };
    node.release = (id) => {
      if (owner === id) owner = null;
    };

    try {
      const config = migrateConfig(raw, [], RED._);
      const reconnectMs = positive(config.reconnectSeconds, 5, 'reconnectSeconds', RED._) * 1000;
      if (config.transport === 'simulated') {
        const factor = positive(config.timeScale, 1, 'timeScale', RED._);
        // A scaled process clock (soak tests) wins: the scheduler reads the same clock, so the
        // heater and the schedule must share it rather than run a timeline of their own.
        const shared = processClock();
        node.clock = shared.factor !== 1 ? shared : factor === 1 ? realClock : scaledClock(factor);
        const unsupported =
          config.simUnsupported && UNSUPPORTED.includes(config.simUnsupported)
            ? config.simUnsupported
            : undefined;
        node.simulator = new WaterHeaterSimulator({
          clock: node.clock,
          variants: unsupported ? { unsupported } : {},
        });
        node.wire = new SimulatedWire(node.simulator);
        node.connection = new Cta2045Connection({
          createTransport: node.wire.createTransport,
          reconnectMs,
          wallClock: node.clock,
        });
      } else {
        const path = String(config.serialPath ?? '').trim();
        if (!path) throw new Error(RED._('cta2045-port.errors.noSerialPath'));
        const baudRate = positive(config.baudRate, 19200, 'baudRate', RED._);
        node.connection = new Cta2045Connection({
          createTransport: () => new SerialTransport({ path, baudRate }),
          reconnectMs,
          echoSuppression: config.echoSuppression === true,
        });
      }
      node.connection.on('down', (reason: string) =>
        node.warn(RED._('cta2045-port.warnings.linkDown', { reason })),
      );
      node.connection.start();
    } catch (err) {
      node.configError = toError(err).message;
      node.error(RED._('cta2045-port.errors.config', { error: node.configError }));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      const finish = async (): Promise<void> => {
        // Client nodes may be closed after this one in the same batch: give them a moment to
        // hand over their shutdown, then let them send End Shed + LOST first (bounded: 5 s).
        await new Promise((r) => setTimeout(r, 50));
        let bound: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all([...pending]), new Promise((r) => (bound = setTimeout(r, 5000)))]);
        clearTimeout(bound);
        await node.connection?.stop();
        node.simulator?.detach();
      };
      finish().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('cta2045-port', Cta2045Port as never);

  // Serial ports for the editor's picker.
  addRoute(
    httpAdminOf(RED),
    'get',
    '/cta2045/serialports',
    needsPermission(RED, 'cta2045-port.read'),
    (_req, res) => {
      listSerialPorts().then(
        (result) => res.json(result),
        (err) => res.json({ ports: [], error: toError(err).message }),
      );
    },
  );
};

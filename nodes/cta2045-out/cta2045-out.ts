/**
 * `cta2045-out`: drives one water heater through a `cta2045-port`. Input: a schedule (the
 * scheduler's output) or a single command. Output 1: telemetry; output 2: command results.
 * The schedule logic lives in src/cta2045/dispatcher.ts; this adapter maps messages and status.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  CommandName,
  DispatchRecord,
  parseSingleCommand,
  ScheduleDispatcher,
  Telemetry,
} from '../../src/cta2045';
import { guardTask, handleInput } from '../shared/input';
import { migrateConfig } from '../shared/config-version';
import { statusFor } from '../shared/status';
import type { Cta2045PortNode } from '../cta2045-port/port-node';

interface OutConfig extends NodeDef {
  port?: string;
  deviceLabel?: string;
  heartbeatSeconds?: number | string;
  refreshSeconds?: number | string;
  pollSeconds?: number | string;
  commodity7?: 'take' | 'stored';
  configVersion?: number;
}

const MODE_LABEL: Record<CommandName, string> = {
  shed: 'Shed',
  normal: 'Normal',
  loadup: 'Load Up',
  'advanced-loadup': 'Advanced Load Up',
  'critical-peak': 'Critical Peak',
  'grid-emergency': 'Grid Emergency',
};

function num(value: unknown, fallback: number, field: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${field} must be a positive number, got "${String(value)}"`);
  return n;
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export = function (RED: NodeAPI) {
  function Cta2045Out(this: Node, raw: OutConfig) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = statusFor(node);
    let config: OutConfig;
    try {
      config = migrateConfig(raw, []);
    } catch (err) {
      status.error((err as Error).message);
      node.error((err as Error).message);
      return;
    }
    const port = RED.nodes.getNode(config.port ?? '') as Cta2045PortNode | null;
    const label = (config.deviceLabel ?? '').trim() || 'HPWH';
    if (!port || !port.connection) {
      const why = !port ? 'no cta2045-port configured' : `port: ${port.configError ?? 'not ready'}`;
      status.error(why);
      handleInput(node, () => {
        throw new Error(why);
      });
      return;
    }
    if (!port.claim(node.id)) {
      // Two drivers on one heater would fight over every boundary.
      const why = 'another cta2045-out already drives this port';
      status.error(why);
      handleInput(node, () => {
        throw new Error(why);
      });
      return;
    }
    const connection = port.connection;
    let dispatcher: ScheduleDispatcher;
    try {
      dispatcher = new ScheduleDispatcher(connection, {
        clock: port.clock,
        heartbeatSeconds: num(config.heartbeatSeconds, 60, 'heartbeatSeconds'),
        refreshSeconds: num(config.refreshSeconds, 900, 'refreshSeconds'),
        pollSeconds: num(config.pollSeconds, 60, 'pollSeconds'),
        commodity7: config.commodity7 === 'stored' ? 'stored' : 'take',
      });
    } catch (err) {
      status.error((err as Error).message);
      handleInput(node, () => {
        throw err;
      });
      return;
    }

    const showStatus = (): void => {
      if (!connection.isUp) {
        if (connection.state === 'connecting') status.waiting(`${label} · connecting`);
        else status.error(`${label} · link down${connection.reason ? `: ${connection.reason}` : ''}`);
        return;
      }
      const active = dispatcher.active;
      if (!active) return status.ok(`${label} · connected`);
      const mode = MODE_LABEL[active.command];
      if (active.command === 'normal' || active.until === null) return status.ok(`${label} · ${mode}`);
      status.ok(`${label} · ${mode} until ${hhmm(active.until)}`);
    };

    const onState = (): void => guardTask(node, showStatus);
    connection.on('state', onState);
    dispatcher.on('status', onState);
    dispatcher.on('command', (record: DispatchRecord) =>
      guardTask(node, () => {
        node.send([null, { topic: 'command', payload: record } as unknown as NodeMessageInFlow]);
        if (record.outcome !== 'acked' && record.outcome !== 'link-down')
          node.warn(`${record.command}: ${record.reason}`);
      }),
    );
    dispatcher.on('telemetry', (t: Telemetry) =>
      guardTask(node, () => {
        const msg = {
          topic: 'telemetry',
          payload: t,
          soc: t.energyStoredWh === null ? null : t.energyStoredWh / 1000,
        };
        node.send([msg as unknown as NodeMessageInFlow, null]);
      }),
    );
    dispatcher.on('mismatch', (m: { expected: number[]; state: { name: string } }) =>
      node.warn(`water heater reports ${m.state.name}, expected one of states ${m.expected.join('/')}`),
    );
    dispatcher.start();
    showStatus();

    handleInput(node, async (msg, send) => {
      const payload = (msg as { payload?: unknown }).payload;
      if (msg.topic === 'upstream') {
        if (typeof payload !== 'boolean')
          throw new Error('msg.payload must be true or false for topic "upstream"');
        dispatcher.setUpstream(payload);
        return;
      }
      if (payload === 'poll') {
        const t = await dispatcher.poll('request');
        if (!t) throw new Error(`${label}: cannot read telemetry, link is down`);
        return;
      }
      if (
        payload &&
        typeof payload === 'object' &&
        Array.isArray((payload as { intervals?: unknown }).intervals)
      ) {
        dispatcher.setSchedule((payload as { intervals: unknown }).intervals);
        const current = dispatcher.desired();
        send([
          null,
          {
            ...msg,
            topic: 'schedule',
            payload: { accepted: (payload as { intervals: unknown[] }).intervals.length, current },
          },
        ]);
        return;
      }
      if (
        payload === null ||
        payload === undefined ||
        (typeof payload !== 'string' && typeof payload !== 'object')
      ) {
        throw new Error(
          'msg.payload must be a schedule ({intervals: [...]}), a command name or {command, durationSeconds, extraWh}',
        );
      }
      const record = await dispatcher.command(parseSingleCommand(payload));
      if (!record) throw new Error(`${label}: link is down, command not sent`);
      if (record.outcome === 'timeout') throw new Error(`${record.command} timed out: ${record.reason}`);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      connection.off('state', onState);
      port.release(node.id);
      const stopping = dispatcher.stop();
      port.onShutdown(stopping);
      // Bounded, and the bound's timer cleared so a redeploy leaves no timer behind.
      let bound: NodeJS.Timeout | undefined;
      const timeout = new Promise((r) => (bound = setTimeout(r, 5000)));
      const finish = (): void => {
        clearTimeout(bound);
        done();
      };
      Promise.race([stopping, timeout]).then(finish, finish);
    });
  }

  RED.nodes.registerType('cta2045-out', Cta2045Out as never);
};

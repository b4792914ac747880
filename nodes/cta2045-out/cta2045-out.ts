/**
 * `cta2045-out`: drives one water heater through a `cta2045-port`. Input: a schedule (the
 * scheduler's output) or a single command. Output 1: telemetry; output 2: command results.
 * The schedule logic lives in src/cta2045/dispatcher.ts; this adapter maps messages and status.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Cta2045Connection, Cta2045Telemetry, DispatchRecord } from '../../src/cta2045';
import { ScheduleDispatcher } from '../../src/cta2045';
import { CommandName, isSchedulePayload, parseSingleCommand } from '../../src/device';
import { clearInputFailure, guardTask, handleInput, inputFailed, sendSafely } from '../shared/input';
import type { InputHandler } from '../shared/input';
import { migrateConfig } from '../shared/config-version';
import { packLimits } from '../shared/limits';
import { asMessage } from '../shared/red';
import type { Translate } from '../shared/i18n';
import { statusFor } from '../shared/status';
import type { Cta2045PortNode } from '../cta2045-port/port-node';
import { readNumber } from '../shared/config';

interface OutConfig extends NodeDef {
  port?: string;
  deviceLabel?: string;
  heartbeatSeconds?: number | string;
  refreshSeconds?: number | string;
  pollSeconds?: number | string;
  commodity7?: 'take' | 'stored';
  configVersion?: number;
}

/** Message keys of the mode names a status shows. */
const MODE_KEY: Record<CommandName, string> = {
  shed: 'cta2045-out.mode.shed',
  normal: 'cta2045-out.mode.normal',
  loadup: 'cta2045-out.mode.loadup',
  'advanced-loadup': 'cta2045-out.mode.advancedLoadup',
  'critical-peak': 'cta2045-out.mode.criticalPeak',
  'grid-emergency': 'cta2045-out.mode.gridEmergency',
};

function num(value: unknown, fallback: number, field: string, t: Translate): number {
  return readNumber(value, fallback, {
    rule: 'positive',
    error: (text) => new Error(t('cta2045-out.errors.positive', { field, value: text })),
  });
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

type Status = ReturnType<typeof statusFor>;

/** The port this node drives, or null after showing why it cannot (every message then fails). */
function claimPort(RED: NodeAPI, node: Node, config: OutConfig, status: Status): Cta2045PortNode | null {
  const port = RED.nodes.getNode(config.port ?? '') as Cta2045PortNode | null;
  let why: string | undefined;
  if (!port || !port.connection) {
    why = !port
      ? RED._('cta2045-out.errors.noPort')
      : RED._('cta2045-out.errors.portProblem', {
          error: port.configError ?? RED._('cta2045-out.errors.portNotReady'),
        });
  } else if (!port.claim(node.id)) {
    // Two drivers on one heater would fight over every boundary.
    why = RED._('cta2045-out.errors.portTaken');
  }
  if (why === undefined) return port;
  const reason = why;
  status.error(reason);
  handleInput(node, RED._, () => {
    throw new Error(reason);
  });
  return null;
}

/** Show the link state, or the command in force and until when. */
function statusShower(
  RED: NodeAPI,
  node: Node,
  status: Status,
  connection: Cta2045Connection,
  dispatcher: ScheduleDispatcher,
  label: string,
): () => void {
  return () => {
    // A rejected message's red status stays until a later message is handled or the link
    // changes: a boundary, a re-assert or a poll says nothing new about that message.
    if (inputFailed(node)) return;
    if (!connection.isUp) {
      if (connection.state === 'connecting')
        status.waiting(RED._('cta2045-out.status.connecting', { label }));
      else if (connection.reason)
        status.error(RED._('cta2045-out.status.linkDownBecause', { label, reason: connection.reason }));
      else status.error(RED._('cta2045-out.status.linkDown', { label }));
      return;
    }
    const active = dispatcher.active;
    if (!active) return status.ok(RED._('cta2045-out.status.connected', { label }));
    const mode = RED._(MODE_KEY[active.command]);
    if (active.command === 'normal' || active.until === null)
      return status.ok(RED._('cta2045-out.status.mode', { label, mode }));
    status.ok(RED._('cta2045-out.status.modeUntil', { label, mode, time: hhmm(active.until) }));
  };
}

/** Dispatcher events → outputs (1: telemetry, 2: command results), warnings and status. */
function wireDispatcher(
  RED: NodeAPI,
  node: Node,
  dispatcher: ScheduleDispatcher,
  showStatus: () => void,
): void {
  dispatcher.on('status', () => guardTask(node, showStatus));
  dispatcher.on('command', (record: DispatchRecord) =>
    guardTask(node, () => {
      sendSafely(node, [null, asMessage({ topic: 'command', payload: record })], RED._);
      if (record.outcome !== 'acked' && record.outcome !== 'link-down')
        node.warn(`${record.command}: ${record.reason}`);
    }),
  );
  dispatcher.on('telemetry', (t: Cta2045Telemetry) =>
    guardTask(node, () => {
      const msg = {
        topic: 'telemetry',
        payload: t,
        soc: t.energyStoredWh === null ? null : t.energyStoredWh / 1000,
      };
      sendSafely(node, [asMessage(msg), null], RED._);
    }),
  );
  dispatcher.on('mismatch', (m: { expected: number[]; state: { name: string } }) =>
    guardTask(node, () =>
      node.warn(
        RED._('cta2045-out.warnings.unexpectedState', {
          state: m.state.name,
          expected: m.expected.join('/'),
        }),
      ),
    ),
  );
}

/** One input message: upstream state, a poll request, a schedule or a single command. */
function inputHandler(
  RED: NodeAPI,
  node: Node,
  dispatcher: ScheduleDispatcher,
  label: string,
  handled: () => void,
): InputHandler {
  return async (msg, send) => {
    const payload = (msg as { payload?: unknown }).payload;
    if (msg.topic === 'upstream') {
      if (typeof payload !== 'boolean') throw new Error(RED._('cta2045-out.errors.upstream'));
      dispatcher.setUpstream(payload);
      handled();
      return;
    }
    if (payload === 'poll') {
      const t = await dispatcher.poll('request');
      if (!t) throw new Error(RED._('cta2045-out.errors.pollLinkDown', { label }));
      handled();
      return;
    }
    if (isSchedulePayload(payload)) {
      dispatcher.setSchedule(payload.intervals);
      handled();
      const current = dispatcher.desired();
      send([null, { ...msg, topic: 'schedule', payload: { accepted: payload.intervals.length, current } }]);
      return;
    }
    if (
      payload === null ||
      payload === undefined ||
      (typeof payload !== 'string' && typeof payload !== 'object')
    ) {
      throw new Error(RED._('cta2045-out.errors.payload'));
    }
    const record = await dispatcher.command(parseSingleCommand(payload));
    if (!record) throw new Error(RED._('cta2045-out.errors.commandLinkDown', { label }));
    if (record.outcome === 'timeout')
      throw new Error(
        RED._('cta2045-out.errors.timedOut', { command: record.command, reason: String(record.reason) }),
      );
    handled();
  };
}

export = function (RED: NodeAPI) {
  function Cta2045Out(this: Node, raw: OutConfig) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const status = statusFor(node);
    let config: OutConfig;
    try {
      config = migrateConfig(raw, [], RED._);
    } catch (err) {
      status.error((err as Error).message);
      node.error((err as Error).message);
      return;
    }
    const label = (config.deviceLabel ?? '').trim() || 'HPWH';
    const port = claimPort(RED, node, config, status);
    if (!port) return;
    const connection = port.connection as Cta2045Connection;
    let dispatcher: ScheduleDispatcher;
    try {
      dispatcher = new ScheduleDispatcher(connection, {
        clock: port.clock,
        heartbeatSeconds: num(config.heartbeatSeconds, 60, 'heartbeatSeconds', RED._),
        refreshSeconds: num(config.refreshSeconds, 900, 'refreshSeconds', RED._),
        pollSeconds: num(config.pollSeconds, 60, 'pollSeconds', RED._),
        commodity7: config.commodity7 === 'stored' ? 'stored' : 'take',
        maxScheduleIntervals: packLimits(RED).maxScheduleIntervals,
      });
    } catch (err) {
      status.error((err as Error).message);
      handleInput(node, RED._, () => {
        throw err;
      });
      return;
    }

    const showStatus = statusShower(RED, node, status, connection, dispatcher, label);
    // The link going down or coming back is newer news than a rejected message.
    const onLink = (): void =>
      guardTask(node, () => {
        clearInputFailure(node);
        showStatus();
      });
    connection.on('state', onLink);
    wireDispatcher(RED, node, dispatcher, showStatus);
    dispatcher.start();
    showStatus();

    /** A handled message replaces an earlier rejection: show what is in force now. */
    const handled = (): void => {
      clearInputFailure(node);
      showStatus();
    };
    handleInput(node, RED._, inputHandler(RED, node, dispatcher, label, handled));

    node.on('close', (_removed: boolean, done: () => void) => {
      connection.off('state', onLink);
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

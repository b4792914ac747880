/** Shared helpers for the two scheduler node tests. */
import { helper, nextMessage, TestNode } from '../support/node-helper';

export interface ScheduleMsg {
  payload: {
    intervals: Array<{
      start: string;
      end: string;
      price: number;
      control: number;
      cost: number;
      soc: number;
      signal: number;
    }>;
    totalCost: number;
    baselineCost: number;
    savings: number;
    savingsPercent: number | null;
    converged: boolean;
    feasible: boolean;
    violations: Array<{ kind: string; message: string }>;
    algorithm: string;
    engine?: string;
    initialSoc: number;
  };
  current: unknown;
  signal: number | null;
  _msgid: string;
}

/** Load `type` wired to a helper node and a Catch node; collect statuses and warnings. */
export async function loadScheduler(nodeModule: unknown, type: string, config: Record<string, unknown> = {}) {
  const flow = [
    { id: 'sched', type, name: 'under test', wires: [['out']], ...config },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  await helper.load([nodeModule, require('@node-red/nodes/core/common/25-catch.js')], flow);
  const node = helper.getNode('sched');
  const out = helper.getNode('out');
  const caught = helper.getNode('caught');
  const statuses: Array<{ fill?: string; shape?: string; text?: string }> = [];
  const warnings: string[] = [];
  node.on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => statuses.push(call.args[0]));
  node.on('call:warn', (call: { args: [unknown] }) => warnings.push(String(call.args[0])));
  const send = async (msg: Record<string, unknown>): Promise<ScheduleMsg> => {
    const got = nextMessage<ScheduleMsg>(out);
    node.receive(msg);
    return got;
  };
  const fail = async (msg: Record<string, unknown>): Promise<string> => {
    const got = nextMessage<{ error: { message: string } }>(caught);
    node.receive(msg);
    return (await got).error.message;
  };
  return { node: node as TestNode, out, statuses, warnings, send, fail };
}

/** Resolve after `ms` — to show that no message arrived. */
export const quiet = (ms = 200) => new Promise((r) => setTimeout(r, ms));

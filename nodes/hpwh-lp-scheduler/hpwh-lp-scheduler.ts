/** hpwh-lp-scheduler: the exact least-cost water-heater schedule (see nodes/shared/scheduler-node.ts). */
import type { NodeAPI } from 'node-red';
import { registerSchedulerNode } from '../shared/scheduler-node';

export = function (RED: NodeAPI): void {
  registerSchedulerNode(RED, 'hpwh-lp-scheduler', 'lp');
};

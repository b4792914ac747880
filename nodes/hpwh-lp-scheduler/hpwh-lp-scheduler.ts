/** hpwh-lp-scheduler: the exact least-cost water-heater schedule (see nodes/shared/scheduler-node.ts). */
import type { NodeAPI } from 'node-red';
import { schedulerNode } from '../shared/scheduler-node';

export = function (RED: NodeAPI): void {
  RED.nodes.registerType('hpwh-lp-scheduler', schedulerNode(RED, 'lp'));
};

/**
 * hpwh-heuristic-scheduler: the greedy water-heater schedule of the Annex 96 hot-water reference
 * implementation (see nodes/shared/scheduler-node.ts).
 */
import type { NodeAPI } from 'node-red';
import { schedulerNode } from '../shared/scheduler-node';

export = function (RED: NodeAPI): void {
  RED.nodes.registerType('hpwh-heuristic-scheduler', schedulerNode(RED, 'heuristic'));
};

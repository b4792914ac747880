/**
 * Observe a flow in a real Node-RED over HTTP: function nodes append values to lists in global
 * context, and GET /probe returns those lists. Used by e2e tests to read what came out of the
 * nodes under test, what a Catch node caught and what statuses a Status node saw.
 */

/** A function-node body that appends `valueExpr` to the global list `key` and stops the message. */
export function recordInGlobal(key: string, valueExpr: string): string {
  return `const list = global.get('${key}') || []; list.push(${valueExpr}); global.set('${key}', list); return null;`;
}

/** A function node on tab `tab` that records `valueExpr` of each message into the global list `key`. */
export function recorderNode(tab: string, id: string, key: string, valueExpr: string): unknown {
  return { id, z: tab, type: 'function', func: recordInGlobal(key, valueExpr), outputs: 1, wires: [[]] };
}

export interface ProbeOptions {
  /** Node ids whose statuses are recorded under `statuses`. */
  statusScope: string[];
  /** Expression recorded per status (default the whole msg.status). */
  statusValue?: string;
  /** Expression recorded per caught error under `caught` (default msg.error.message). */
  caughtValue?: string;
  /** Every global list GET /probe returns (e.g. ['schedules', 'statuses', 'caught']). */
  keys: string[];
}

/** The Catch, Status and HTTP nodes of a probe, on tab `tab`; node ids are prefixed `probe-`. */
export function probeNodes(tab: string, options: ProbeOptions): unknown[] {
  const reader = `msg.payload = { ${options.keys.map((k) => `${k}: global.get('${k}') || []`).join(', ')} }; return msg;`;
  return [
    { id: 'probe-catch', z: tab, type: 'catch', scope: null, uncaught: false, wires: [['probe-rec-caught']] },
    recorderNode(tab, 'probe-rec-caught', 'caught', options.caughtValue ?? 'msg.error.message'),
    { id: 'probe-status', z: tab, type: 'status', scope: options.statusScope, wires: [['probe-rec-status']] },
    recorderNode(tab, 'probe-rec-status', 'statuses', options.statusValue ?? 'msg.status'),
    { id: 'probe-http', z: tab, type: 'http in', url: '/probe', method: 'get', wires: [['probe-read']] },
    { id: 'probe-read', z: tab, type: 'function', func: reader, outputs: 1, wires: [['probe-resp']] },
    { id: 'probe-resp', z: tab, type: 'http response', wires: [] },
  ];
}

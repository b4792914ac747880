/**
 * flows/demo.json exactly as scripts/start.js deploys it (one implementation, scripts/demo-flows.js),
 * typed for the tests: credentials attached, the VTN on `vtnPort`, optionally another price URL.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('../../scripts/demo-flows.js') as {
  demoFlows(vtnPort: number, priceUrl?: string): FlowNode[];
};

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export function demoFlows(vtnPort: number, priceUrl?: string): FlowNode[] {
  return shared.demoFlows(vtnPort, priceUrl);
}

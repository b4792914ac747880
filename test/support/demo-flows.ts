/**
 * flows/demo.json as scripts/start.js deploys it (credentials from flows/demo-credentials.json
 * attached, so the Admin API stores them encrypted), moved to a free VTN port; optionally with
 * the price URL replaced (tests never call the real Olivine API).
 */
import fs from 'fs';
import path from 'path';
import { repoRoot } from './node-red-process';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export function demoFlows(vtnPort: number, priceUrl?: string): FlowNode[] {
  const flows = JSON.parse(fs.readFileSync(path.join(repoRoot, 'flows', 'demo.json'), 'utf8')) as FlowNode[];
  const creds = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'flows', 'demo-credentials.json'), 'utf8'),
  ) as Record<string, unknown>;
  for (const node of flows) {
    if (creds[node.id]) node.credentials = creds[node.id];
    if (node.type === 'openadr3-vtn') node.port = vtnPort;
    if (typeof node.baseUrl === 'string') node.baseUrl = node.baseUrl.replace(':8080/', `:${vtnPort}/`);
    if (priceUrl && node.type === 'olivine-prices') node.url = priceUrl;
  }
  return flows;
}

// flows/demo.json as the demo deploys it: the demo credentials (flows/demo-credentials.json)
// attached so the Admin API stores them encrypted, as if typed into the editor, and the VTN moved
// to another port when asked. Used by scripts/start.js and by the tests, so both deploy one flow.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

/**
 * @param {number} vtnPort the VTN node's port (the flow file says 8080)
 * @param {string} [priceUrl] replaces olivine-prices' URL (tests never call the real Olivine API)
 * @returns {Array<Record<string, unknown> & {id: string, type: string}>}
 */
function demoFlows(vtnPort = 8080, priceUrl) {
  const flows = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'demo.json'), 'utf8'));
  const credsFile = path.join(root, 'flows', 'demo-credentials.json');
  const creds = fs.existsSync(credsFile) ? JSON.parse(fs.readFileSync(credsFile, 'utf8')) : {};
  for (const node of flows) {
    if (creds[node.id]) node.credentials = creds[node.id];
    if (node.type === 'openadr3-vtn') node.port = vtnPort;
    if (typeof node.baseUrl === 'string') node.baseUrl = node.baseUrl.replace(':8080/', `:${vtnPort}/`);
    if (priceUrl && node.type === 'olivine-prices') node.url = priceUrl;
  }
  return flows;
}

module.exports = { demoFlows };

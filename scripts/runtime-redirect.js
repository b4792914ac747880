// Preloaded (NODE_OPTIONS=--require) into every Node.js process of a test run on a second runtime
// (scripts/test-runtime.js): `node-red` and `@node-red/*` come from that runtime's Node-RED, and
// the native modules (better-sqlite3, serialport) from a copy built against that Node's headers,
// so the checkout's own node_modules (Node 20, Node-RED 4.1) stays as it is.
'use strict';
const Module = require('module');
const path = require('path');

const routes = [
  [/^(node-red|@node-red\/[^/]+)(\/|$)/, process.env.OPENADR3_HPWH_NODE_RED_PREFIX],
  [/^(better-sqlite3|serialport|@serialport\/[^/]+)(\/|$)/, process.env.OPENADR3_HPWH_NATIVE_PREFIX],
].filter(([, prefix]) => prefix);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (!options?.paths) {
    for (const [pattern, prefix] of routes) {
      if (!pattern.test(request)) continue;
      // Inside that tree, its own resolution is already the right one (nested versions included).
      const from = parent?.filename ?? '';
      if (from.startsWith(prefix + path.sep)) break;
      return resolve.call(this, request, parent, isMain, { paths: [prefix] });
    }
  }
  return resolve.call(this, request, parent, isMain, options);
};

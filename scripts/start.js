#!/usr/bin/env node
// The demo: build if needed, then run Node-RED 4.1 from the local install with its own user
// directory (.node-red/, gitignored), this pack loaded from the checkout, and flows/demo.json
// deployed. Options: --port N (editor, default 1880), --keep (keep the flows you edited instead
// of re-deploying the demo), --user-dir DIR (another user directory; the tests use a temporary one).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { ensureBuild } = require('./ensure-build');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.PORT || 1880);
const keep = args.includes('--keep');
const dirArg = args.indexOf('--user-dir');
const userDir = dirArg >= 0 ? path.resolve(args[dirArg + 1]) : path.join(root, '.node-red');

ensureBuild();

fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
const link = path.join(userDir, 'node_modules', 'node-red-contrib-openadr3-hpwh');
try {
  fs.lstatSync(link);
} catch {
  // What `npm install <checkout>` does: a link to the package, so examples show under Import.
  fs.symlinkSync(root, link, 'dir');
}

const settingsFile = path.join(userDir, 'settings.js');
if (!fs.existsSync(settingsFile)) {
  fs.writeFileSync(
    settingsFile,
    `// Demo settings written by scripts/start.js; edit freely, it is not overwritten.
module.exports = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: 'openadr3-hpwh-demo',
  // The palette catalogue needs the internet; the demo runs offline.
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  diagnostics: { enabled: false, ui: false },
  telemetry: { enabled: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
}

const flowsFile = path.join(userDir, 'flows.json');
if (!keep || !fs.existsSync(flowsFile)) {
  fs.copyFileSync(path.join(root, 'flows', 'demo.json'), flowsFile);
  // Credentials belong to the old flows; the demo's nodes fall back to their defaults.
  fs.rmSync(path.join(userDir, 'flows_cred.json'), { force: true });
}

const child = spawn(
  process.execPath,
  [
    path.join(root, 'node_modules', 'node-red', 'red.js'),
    '-u',
    userDir,
    '-p',
    String(port),
    '--no-telemetry',
  ],
  { cwd: userDir, stdio: ['ignore', 'pipe', 'inherit'] },
);
let announced = false;
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Started flows/.test(chunk.toString())) {
    announced = true;
    console.log(`\n  Demo running. Open the editor: http://127.0.0.1:${port}\n  Stop with Ctrl-C.\n`);
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));

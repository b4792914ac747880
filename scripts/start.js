#!/usr/bin/env node
// The demo: build if needed, then run Node-RED 4.1 from the local install with its own user
// directory (.node-red/, gitignored), this pack loaded from the checkout, and flows/demo.json
// deployed. Options: --port N (editor, default 1880), --keep (keep the flows you edited instead
// of re-deploying the demo), --user-dir DIR (another user directory; the tests use a temporary one),
// --vtn-port N (the demo VTN's port, default 8080).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { ensureBuild } = require('./ensure-build');
const { demoFlows } = require('./demo-flows');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.PORT || 1880);
const keep = args.includes('--keep');
const vtnPortArg = args.indexOf('--vtn-port');
const vtnPort = vtnPortArg >= 0 ? Number(args[vtnPortArg + 1]) : 8080;
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
const deployDemo = !keep || !fs.existsSync(flowsFile);
if (deployDemo) {
  // Start empty, then deploy the demo through the Admin API so its connection credentials (the
  // reference implementation's public demo clients) are stored encrypted, as if typed into the editor.
  fs.writeFileSync(flowsFile, '[]');
  fs.rmSync(path.join(userDir, 'flows_cred.json'), { force: true });
}

async function deploy() {
  const res = await fetch(`http://127.0.0.1:${port}/flows`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Node-RED-API-Version': 'v2',
      'Node-RED-Deployment-Type': 'full',
    },
    body: JSON.stringify({ flows: demoFlows(vtnPort) }),
  });
  if (!res.ok) throw new Error(`deploying the demo failed: ${res.status} ${await res.text()}`);
}

const child = spawn(
  process.execPath,
  [
    // The installed Node-RED (on a second test runtime, the one scripts/test-runtime.js maps it to).
    path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js'),
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
    (deployDemo ? deploy() : Promise.resolve()).then(
      () =>
        console.log(
          `\n  Demo running. Open the editor: http://127.0.0.1:${port}\n` +
            `  VTN status page: https://127.0.0.1:${vtnPort}/ (development certificate; its CA:\n` +
            `    ${path.join(userDir, 'openadr3-vtn', 'dev-tls', 'ca.pem')})\n` +
            `  schedule picture: http://127.0.0.1:${port}/hpwh/schedule\n` +
            `  latest commands and telemetry: http://127.0.0.1:${port}/demo/state\n  Stop with Ctrl-C.\n`,
        ),
      (err) => {
        console.error(err.message);
        child.kill('SIGTERM');
      },
    );
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));

#!/usr/bin/env node
// Build: TypeScript (strict) → CommonJS in dist/, then copy the editor files (.html),
// locales and icons beside each compiled node so Node-RED finds them where it looks.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { writeLocales } = require('./locales');
const { canBuild, sourceHash, stampFile } = require('./ensure-build');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

// Only where it can succeed: an installed copy (no src/, no TypeScript) keeps the dist/ it shipped with.
if (!canBuild()) {
  console.error(
    'build: needs a checkout with src/ and its devDependencies (npm install); dist/ left as it is',
  );
  process.exit(1);
}
const hash = sourceHash();
fs.rmSync(dist, { recursive: true, force: true });
// Source maps carry their TypeScript sources (src/ does not ship): stack traces map to real lines.
run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--inlineSources']);

// The VTN stores read their SQL migrations at run time from beside the compiled store.
const migrations = path.join('src', 'openadr', 'vtn', 'store', 'migrations');
copyDir(path.join(root, migrations), path.join(dist, migrations));

const nodesDir = path.join(root, 'nodes');
for (const entry of fs.readdirSync(nodesDir, { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name === 'shared') continue;
  const from = path.join(nodesDir, entry.name);
  const to = path.join(dist, 'nodes', entry.name);
  fs.mkdirSync(to, { recursive: true });
  for (const file of fs.readdirSync(from, { withFileTypes: true })) {
    if (file.isFile() && file.name.endsWith('.html')) {
      fs.copyFileSync(path.join(from, file.name), path.join(to, file.name));
    } else if (file.isDirectory() && file.name === 'locales') {
      // Help files as they are; message catalogs completed with the shared modules' strings.
      writeLocales(entry.name, path.join(to, 'locales'));
    }
  }
  // Node-RED looks for icons in an `icons` folder beside the node's .js file.
  copyDir(path.join(root, 'icons'), path.join(to, 'icons'));
}
// What ensure-build compares: the content of the sources this dist/ was built from.
fs.writeFileSync(stampFile, `${hash}\n`);
console.log('build: dist/ ready');

#!/usr/bin/env node
// `npm run bench`: run every `bench:<area>` script of package.json in turn. Each benchmark prints
// ratios against a baseline measured in the same process, so numbers compare across machines.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const pkg = require('../package.json');

const only = process.argv.slice(2);
const scripts = Object.keys(pkg.scripts).filter(
  (name) => name.startsWith('bench:') && (only.length === 0 || only.includes(name.slice(6))),
);
if (scripts.length === 0) {
  console.log('no benchmarks defined yet');
  process.exit(0);
}
let failed = 0;
for (const name of scripts) {
  console.log(`\n=== npm run ${name} ===`);
  const r = spawnSync('npm', ['run', '--silent', name], {
    cwd: path.resolve(__dirname, '..'),
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

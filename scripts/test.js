#!/usr/bin/env node
// The test command: build when stale, then run the mocha layers (all by default, or the ones
// named: unit, nodes, e2e, browser, fuzz, or test files by path). The last line printed is
// "N passed, N failed".
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ensureBuild } = require('./ensure-build');

const root = path.resolve(__dirname, '..');
const layers = ['unit', 'nodes', 'e2e', 'browser', 'fuzz'];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const isFile = (a) => a.endsWith('.ts') && fs.existsSync(path.resolve(root, a));
for (const arg of chosen) {
  if (!layers.includes(arg) && !isFile(arg)) {
    console.error(`unknown test layer or file "${arg}" (layers: ${layers.join(', ')})`);
    process.exit(2);
  }
}
ensureBuild();
const specs = (chosen.length ? chosen : layers).map((a) => (isFile(a) ? a : `test/${a}/**/*.test.ts`));
const r = spawnSync(
  process.execPath,
  [
    require.resolve('mocha/bin/mocha.js'),
    '--require',
    'tsx/cjs',
    '--require',
    path.join('test', 'support', 'hooks.ts'),
    '--reporter',
    path.join('test', 'support', 'summary-reporter.js'),
    '--timeout',
    '20000',
    '--exit',
    ...extra,
    ...specs,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);

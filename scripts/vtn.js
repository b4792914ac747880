#!/usr/bin/env node
// `npm run vtn -- [options]` / `node scripts/vtn.js [options]` in a checkout: the standalone VTN
// (src/cli/vtn.ts, installed as the `openadr3-vtn` command), built first when the sources changed.
// `npm run vtn -- --help` lists the options.
'use strict';
const path = require('path');
const { ensureBuild } = require('./ensure-build');

ensureBuild();
require(path.join(__dirname, '..', 'dist', 'src', 'cli', 'vtn.js')).runVtnCli(
  process.argv.slice(2),
  'npm run vtn --',
);

#!/usr/bin/env node
// `npm run sim -- --port /dev/pts/N ...`: the CTA-2045 water-heater simulator on a serial device
// (builds first when the sources are newer than dist/). Options: see src/cta2045/simulator/cli.ts.
'use strict';
const path = require('path');
const { ensureBuild } = require('./ensure-build');

ensureBuild();
require(path.join(__dirname, '..', 'dist', 'src', 'cta2045', 'simulator', 'cli.js')).runCli(
  process.argv.slice(2),
);

#!/usr/bin/env node
// `npm run sim -- --port /dev/pts/N ...` in a checkout: the CTA-2045 water-heater simulator
// (src/cli/simulator.ts, installed as the `hpwh-simulator` command), built first when the sources
// changed. Options: see src/cta2045/simulator/cli.ts.
'use strict';
const path = require('path');
const { ensureBuild } = require('./ensure-build');

ensureBuild();
require(path.join(__dirname, '..', 'dist', 'src', 'cli', 'simulator.js')).runCli(process.argv.slice(2));

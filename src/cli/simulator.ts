#!/usr/bin/env node
/**
 * The CTA-2045 water-heater simulator on a serial device: `hpwh-simulator --port /dev/pts/N ...`
 * from an installed copy, `npm run sim -- ...` in a checkout. Options: src/cta2045/simulator/cli.ts.
 */
import { runCli } from '../cta2045/simulator/cli';

if (require.main === module) void runCli(process.argv.slice(2));

export { runCli };

// Mocha reporter: the usual spec output, then the closing line CI reads: "N passed, N failed".
'use strict';
const Mocha = require('mocha');
const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_HOOK_END } =
  Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    runner.on(EVENT_TEST_PASS, () => passed++);
    runner.on(EVENT_TEST_FAIL, () => failed++); // failing hooks count here too
    runner.on(EVENT_TEST_PENDING, () => skipped++);
    void EVENT_HOOK_END;
    runner.once(EVENT_RUN_END, () => {
      const tail = skipped ? `, ${skipped} skipped` : '';
      // Printed after mocha's own epilogue, so it is the last line of the run.
      process.on('exit', () => process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`));
    });
  }
}
module.exports = SummaryReporter;

/**
 * Root hooks for every test layer: an unhandled promise rejection anywhere in the test process
 * fails the run (it would take a real Node-RED down), instead of passing silently.
 */
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    if (unhandled.length) {
      const reasons = unhandled.splice(0).map((r) => (r instanceof Error ? r.stack : String(r)));
      throw new Error(`unhandled promise rejection(s) during this test:\n${reasons.join('\n')}`);
    }
  },
};

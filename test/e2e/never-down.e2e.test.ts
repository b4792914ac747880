/**
 * The six node types that report errors from asynchronous code, given a message Node-RED cannot
 * copy for its Catch node (nested 10,000 levels deep: what JSON.parse makes of a hostile HTTP
 * body; or a property whose getter throws). Node-RED copies the message with lodash.clonedeep
 * when the node reports the error; that copy used to throw outside any handler and terminate the
 * whole process. Now: the process stays up, the Catch node gets the error with a small copy of
 * the message (its id, topic and a note saying why the rest is missing), the node shows red and
 * keeps working.
 */
import assert from 'assert';
import { FuzzRed, SubjectType } from '../fuzz/support/fuzz-red';
import { deepJson, validEvent } from '../fuzz/corpus';
import { waitFor } from '../support/node-red-process';

const ASYNC_REPORTERS: SubjectType[] = [
  'openadr3-publish',
  'openadr3-vtn',
  'openadr3-ven',
  'openadr3-report',
  'cta2045-out',
  'hpwh-modbus-out',
];

describe('e2e: messages Node-RED cannot copy never take it down', function () {
  this.timeout(240_000);
  let env: FuzzRed | undefined;
  let n = 0;

  after(async () => {
    await env?.stop();
  });

  for (const type of ASYNC_REPORTERS) {
    it(`${type}: a 10,000-level payload and a throwing getter end in the Catch node; Node-RED stays up`, async () => {
      if (!env || env.red.exited()) {
        await env?.stop();
        env = await FuzzRed.start();
      }
      const e = env;
      // The VEN reports nothing about its payload: it polls for a program that does not exist yet,
      // and reports that, with the message, from the poll's promise.
      const ids = [`deep${++n}`, `getter${++n}`, `raw${++n}`];
      await e.send(type, ids[0], { topic: 'program', payload: { kind: 'deep', depth: 10000 } });
      await e.send(type, ids[1], {
        topic: 'program',
        payload: { kind: 'getter', name: 'eventName', base: validEvent() },
      });
      await e.sendRaw(type, ids[2], deepJson(10000), 'program');
      const outcomes = await e.outcomes(type, ids, 10000);
      assert.strictEqual(e.red.exited(), false, `Node-RED exited:\n${e.red.log().slice(-2000)}`);
      assert.ok(await e.alive(), 'the admin API answers');
      assert.deepStrictEqual(e.fatalLog(), []);
      if (type === 'openadr3-ven') {
        // The VEN ignores the payload: once the program exists its poll succeeds, and the message
        // counts as handled (Node-RED could not copy it for the Complete node; that is logged).
        for (const id of ids) assert.ok(outcomes.get(id), `${id}: ended`);
        return;
      }
      for (const id of ids) {
        const o = outcomes.get(id)!;
        assert.strictEqual(o.kind, 'catch', `${type} ${id}: expected a Catch`);
        assert.ok((o.catch?.message ?? '').length > 0, `${type} ${id}: error text`);
      }
      // At least one of them could not be copied whole: the Catch node says so.
      assert.ok(
        ids.some((id) => outcomes.get(id)!.catch!.copyNote),
        `${type}: a Catch message carries the note that the message could not be copied`,
      );
      await waitFor(async () => (await e.poll(), e.lastStatus(type)?.fill === 'red'), 3000, 'a red status');
    });
  }
});

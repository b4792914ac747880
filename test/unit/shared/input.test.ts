import assert from 'assert';
import { EventEmitter } from 'events';
import type { Node } from 'node-red';
import { guardTask, handleInput } from '../../../nodes/shared/input';

/** Stands in for RED._: the key and its substitutions (the catalogs are checked in test/nodes). */
const t = (key: string, subs?: Record<string, string | number>) => `${key} ${JSON.stringify(subs ?? {})}`;

/** Just enough of a Node for the wrapper: events, status and error. */
function fakeNode() {
  const emitter = new EventEmitter();
  const statuses: Array<{ fill?: string; text?: string }> = [];
  const errors: unknown[] = [];
  const node = Object.assign(emitter, {
    status: (s: { fill?: string; text?: string }) => statuses.push(s),
    error: (e: unknown) => errors.push(e),
    send: () => undefined,
  });
  return { node: node as unknown as Node, emitter, statuses, errors };
}

function deliver(emitter: EventEmitter, msg: Record<string, unknown>): Promise<Error | undefined> {
  return new Promise((resolve) =>
    emitter.emit(
      'input',
      msg,
      () => undefined,
      (err?: Error) => resolve(err),
    ),
  );
}

describe('unit: handleInput / guardTask', () => {
  it('calls done() once a sync handler returns', async () => {
    const { node, emitter, statuses } = fakeNode();
    handleInput(node, t, () => undefined);
    assert.strictEqual(await deliver(emitter, {}), undefined);
    assert.deepStrictEqual(statuses, []);
  });

  it('turns a sync throw into a red status and done(err)', async () => {
    const { node, emitter, statuses } = fakeNode();
    handleInput(node, t, () => {
      throw new Error('bad input: price[3] is not a number');
    });
    const err = await deliver(emitter, {});
    assert.match(String(err?.message), /price\[3\]/);
    assert.deepStrictEqual(statuses.at(-1), {
      fill: 'red',
      shape: 'ring',
      text: 'bad input: price[3] is not a number',
    });
  });

  it('turns an async rejection (even a non-Error) into done(err) with a readable message', async () => {
    const { node, emitter, statuses } = fakeNode();
    handleInput(node, t, async () => {
      await Promise.resolve();
      throw { code: 'E_VTN', detail: 'down' };
    });
    const err = await deliver(emitter, {});
    assert.ok(err instanceof Error);
    assert.match(err.message, /E_VTN/);
    assert.strictEqual(statuses.at(-1)?.fill, 'red');
  });

  it('guards background tasks: a rejected timer task reports instead of escaping', async () => {
    const { node, statuses, errors } = fakeNode();
    guardTask(node, async () => {
      throw new Error('poll failed');
    });
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(errors, ['poll failed']);
    assert.strictEqual(statuses.at(-1)?.fill, 'red');
  });
});

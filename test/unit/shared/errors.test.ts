import assert from 'assert';
import path from 'path';
import { MAX_COPY_DEPTH, minimalCopy, say, toError, whyUncopyable } from '../../../nodes/shared/errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hostile = require(path.resolve(__dirname, '../../fixtures/nodes/fuzz/lib/hostile.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cloneDeep = require('lodash.clonedeep');

/** Stands in for RED._: the key and its substitutions (the catalogs are checked in test/nodes). */
const t = (key: string, subs?: Record<string, string | number>) => `${key} ${JSON.stringify(subs ?? {})}`;

describe('unit: reporting errors for messages Node-RED cannot copy', () => {
  it('toError never throws, whatever was thrown', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const noText = {
      toString() {
        throw new Error('no');
      },
      toJSON() {
        throw new Error('no');
      },
    };
    const badMessage = new Error('x');
    Object.defineProperty(badMessage, 'message', {
      get() {
        throw new Error('no');
      },
    });
    for (const thrown of [BigInt(1), circular, noText, badMessage, undefined, null, Symbol('s')]) {
      const err = toError(thrown);
      assert.ok(err instanceof Error);
      assert.strictEqual(typeof err.message, 'string');
    }
    assert.match(toError(BigInt(12)).message, /12/);
    // What cannot be shown at all is described in the user's language when the node's RED._ is at
    // hand, else by its JavaScript kind.
    assert.strictEqual(toError(badMessage, t).message, 'errors.thrown.unreadable {}');
    assert.strictEqual(toError(noText, t).message, 'errors.thrown.unprintable {"type":"object"}');
    assert.strictEqual(toError(badMessage).message, '[object Error]');
    assert.strictEqual(toError(noText).message, '[object Object]');
  });

  it('a translator that fails never hides a report: the key is shown instead', () => {
    const broken = () => {
      throw new Error('catalog missing');
    };
    assert.strictEqual(say(broken, 'errors.copy.note', { reason: 'x' }), 'errors.copy.note');
    assert.strictEqual(minimalCopy({ _msgid: 'm3' }, 'x', broken).copyError, 'errors.copy.note');
  });

  it('whyUncopyable agrees with lodash.clonedeep on the hostile shapes', () => {
    const cases: Array<[string, unknown, boolean]> = [
      ['10,000 levels of objects', { payload: hostile.deep(10000) }, false],
      ['10,000 levels of arrays', { payload: hostile.deep(10000, true) }, false],
      ['a throwing getter', { payload: hostile.throwingGetter('x') }, false],
      ['a throwing getter on the message', hostile.throwingGetter('extra', { payload: 1 }), false],
      ['circular', { payload: hostile.circular() }, true],
      ['BigInt', { payload: BigInt(7) }, true],
      ['100,000 numbers', { payload: new Array(100000).fill(0.1) }, true],
      ['a Buffer', { payload: Buffer.alloc(1024) }, true],
      ['50 levels', { payload: hostile.deep(50) }, true],
    ];
    for (const [what, msg, copies] of cases) {
      let cloned = true;
      try {
        cloneDeep(msg);
      } catch {
        cloned = false;
      }
      assert.strictEqual(whyUncopyable(msg, t) === undefined, copies, `${what}: check`);
      if (copies) assert.ok(cloned, `${what}: lodash copies it`);
    }
    assert.strictEqual(
      whyUncopyable({ payload: hostile.deep(MAX_COPY_DEPTH + 5) }, t),
      `errors.copy.tooDeep {"depth":${MAX_COPY_DEPTH}}`,
    );
    assert.match(
      String(whyUncopyable({ payload: hostile.throwingGetter('intervals') }, t)),
      /^errors\.copy\.getterThrew \{"key":"intervals","error":".*getter trap/,
    );
  });

  it('skips msg.req and msg.res, which Node-RED passes on without copying', () => {
    assert.strictEqual(whyUncopyable({ payload: 1, req: hostile.throwingGetter('socket') }, t), undefined);
  });

  it('the minimal copy keeps the id, a plain topic and the HTTP request, and says what is missing', () => {
    const res = { _res: {} };
    const msg = hostile.throwingGetter('topic', { _msgid: 'm1', res, payload: hostile.deep(10) });
    const copy = minimalCopy(msg, 'reading msg…topic threw', t);
    assert.strictEqual(copy._msgid, 'm1');
    assert.strictEqual(copy.topic, undefined, 'a getter topic is not run');
    assert.strictEqual(copy.res, res);
    assert.strictEqual(copy.copyError, 'errors.copy.note {"reason":"reading msg…topic threw"}');
    assert.doesNotThrow(() => cloneDeep({ ...copy, res: undefined }));
    assert.strictEqual(minimalCopy({ _msgid: 'm2', topic: 'prices' }, 'x', t).topic, 'prices');
  });
});

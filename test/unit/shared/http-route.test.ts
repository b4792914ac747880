import assert from 'assert';
import { normaliseRoutePath } from '../../../nodes/shared/http-route';

describe('unit: normaliseRoutePath', () => {
  it('adds the leading slash and drops trailing ones', () => {
    assert.strictEqual(normaliseRoutePath('hpwh/schedule/'), '/hpwh/schedule');
    assert.strictEqual(normaliseRoutePath('  /x  '), '/x');
    assert.strictEqual(normaliseRoutePath(''), '');
  });
  it('refuses characters that would make a route pattern or markup', () => {
    assert.throws(() => normaliseRoutePath('/a b'), /may only contain/);
    assert.throws(() => normaliseRoutePath('/a/:id'), /may only contain/);
    assert.throws(() => normaliseRoutePath('/<script>'), /may only contain/);
  });
});

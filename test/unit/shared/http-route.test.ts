import assert from 'assert';
import { normaliseRoutePath } from '../../../nodes/shared/http-route';

/** Stands in for RED._: the key and its substitutions (the catalogs are checked in test/nodes). */
const t = (key: string, subs?: Record<string, string | number>) => `${key} ${JSON.stringify(subs ?? {})}`;

describe('unit: normaliseRoutePath', () => {
  it('adds the leading slash and drops trailing ones', () => {
    assert.strictEqual(normaliseRoutePath('hpwh/schedule/', t), '/hpwh/schedule');
    assert.strictEqual(normaliseRoutePath('  /x  ', t), '/x');
    assert.strictEqual(normaliseRoutePath('', t), '');
  });
  it('refuses characters that would make a route pattern or markup', () => {
    assert.throws(() => normaliseRoutePath('/a b', t), /httpRoute\.badPath/);
    assert.throws(() => normaliseRoutePath('/a/:id', t), /httpRoute\.badPath/);
    assert.throws(() => normaliseRoutePath('/<script>', t), /httpRoute\.badPath/);
  });
});

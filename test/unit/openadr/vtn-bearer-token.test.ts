/**
 * The Authorization header's bearer token as the VTN reads it: the usual spelling through a quick
 * test, every other one through the full grammar — the same answers either way.
 */
import assert from 'assert';
import { bearerToken } from '../../../src/openadr/vtn/request-guards';

const FULL = /^Bearer\s+(\S+)\s*$/i;

describe('VTN bearer token', () => {
  it('reads the token the way the full grammar does, for usual and unusual spellings', () => {
    const headers = [
      'Bearer abc.def.ghi',
      'bearer abc',
      'BEARER abc',
      'Bearer   abc',
      'Bearer abc  ',
      'Bearer\tabc',
      'Bearer\u00a0abc',
      'Bearer abc\u00a0',
      'Bearer abc def',
      'Bearer ',
      'Bearer',
      'Basic abc',
      ' Bearer abc',
      'Bearerabc',
      '',
    ];
    for (const h of headers) assert.strictEqual(bearerToken(h), FULL.exec(h)?.[1], JSON.stringify(h));
    assert.strictEqual(bearerToken(undefined), undefined);
    assert.strictEqual(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  });
});

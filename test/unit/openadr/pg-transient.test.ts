/** Which PostgreSQL failures count as "the database is not there right now" (retried, then 503). */
import assert from 'assert';
import { isTransientPgError } from '../../../src/openadr/vtn/store/postgres';

const err = (code: string | undefined, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isTransientPgError', () => {
  it('counts a server going away or coming back, and connections that fail', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      '57P01',
      '57P02',
      '57P03',
      '53300',
    ])
      assert.strictEqual(isTransientPgError(err(code)), true, code);
    for (const code of ['08000', '08003', '08006', '08001', '08004', '08P01'])
      assert.strictEqual(isTransientPgError(err(code)), true, code);
    for (const message of [
      'Connection terminated unexpectedly',
      'timeout exceeded when trying to connect',
      'Connection terminated due to connection timeout',
      'Client has encountered a connection error and is not queryable',
    ])
      assert.strictEqual(isTransientPgError(err(undefined, message)), true, message);
    // connect() to "localhost" tries IPv4 and IPv6 and fails with both
    assert.strictEqual(
      isTransientPgError(new AggregateError([err('ECONNREFUSED'), err('ECONNREFUSED')])),
      true,
    );
  });

  it('does not count what a retry cannot fix: constraint violations, bad SQL, missing database, bugs', () => {
    for (const code of ['23505', '23503', '42P01', '42601', '3D000', '28P01', '40P01', '22P02'])
      assert.strictEqual(isTransientPgError(err(code)), false, code);
    assert.strictEqual(isTransientPgError(new TypeError('cannot read properties of undefined')), false);
    assert.strictEqual(isTransientPgError(undefined), false);
    assert.strictEqual(isTransientPgError('ECONNREFUSED'), false);
    assert.strictEqual(isTransientPgError(new AggregateError([err('23505')])), false);
  });
});

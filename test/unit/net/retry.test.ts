import assert from 'assert';
import {
  AbortedError,
  AttemptTimeoutError,
  backoffDelay,
  isRefusedStatus,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  sleep,
  withRetry,
  withTimeout,
} from '../../../src/net/retry';

describe('unit: the retry policy (src/net/retry)', () => {
  it('backs off exponentially, capped, with optional equal jitter', () => {
    const plain = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.deepStrictEqual(
      [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, plain)),
      [100, 200, 400, 800, 1000, 1000],
    );
    const low = { ...plain, jitter: 'equal' as const, random: () => 0 };
    const high = { ...plain, jitter: 'equal' as const, random: () => 0.999999 };
    assert.deepStrictEqual(
      [0, 1, 4].map((n) => backoffDelay(n, low)),
      [50, 100, 500],
    );
    assert.ok(Math.abs(backoffDelay(1, high) - 200) < 0.01);
  });

  it('says which statuses are worth another try', () => {
    const retryable = [408, 429, 500, 502, 503, 504, 599];
    const final = [200, 301, 400, 401, 403, 404, 409, 413, 422, 600];
    assert.ok(retryable.every(isRetryableStatus));
    assert.ok(!final.some(isRetryableStatus));
    assert.ok(isRefusedStatus(429));
    assert.ok(!isRefusedStatus(503), 'a 503 may come after the server acted on part of a request');
  });

  it('reads Retry-After as seconds and as an HTTP-date', () => {
    const now = Date.parse('2026-02-17T12:00:00Z');
    assert.strictEqual(parseRetryAfter('5', now), 5000);
    assert.strictEqual(parseRetryAfter(' 0 ', now), 0);
    assert.strictEqual(parseRetryAfter('Tue, 17 Feb 2026 12:00:30 GMT', now), 30_000);
    assert.strictEqual(parseRetryAfter('Tue, 17 Feb 2026 11:00:00 GMT', now), 0, 'a past date: now');
    for (const bad of [null, undefined, '', '-1', '1.5', 'soon', '2026-02-17T12:00:30Z'])
      assert.strictEqual(parseRetryAfter(bad, now), undefined, String(bad));
  });

  it("takes the server's Retry-After over backoff, capped", () => {
    const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.strictEqual(retryDelay(0, policy), 100);
    assert.strictEqual(retryDelay(0, policy, 5000), 5000, 'longer than the backoff');
    assert.strictEqual(retryDelay(2, policy, 0), 0, 'and shorter');
    assert.strictEqual(retryDelay(0, policy, 3_600_000), 60_000, 'an hour is capped at a minute');
    assert.strictEqual(retryDelay(0, { ...policy, maxRetryAfterMs: 2000 }, 5000), 2000);
  });

  describe('withRetry and withTimeout', () => {
    it('retries until success, waiting backoff or Retry-After, telling onRetry', async () => {
      const seen: Array<[number, number]> = [];
      const waits: number[] = [];
      let calls = 0;
      const result = await withRetry(
        async (n) => {
          calls++;
          if (n < 2) throw Object.assign(new Error(`fail ${n}`), { after: n === 1 ? 3000 : undefined });
          return 'ok';
        },
        {
          policy: { retries: 5, baseDelayMs: 100, maxDelayMs: 10_000 },
          decide: (err) => ({ retry: true, retryAfterMs: (err as { after?: number }).after }),
          onRetry: (n, delay) => seen.push([n, delay]),
          sleep: async (ms) => void waits.push(ms),
        },
      );
      assert.strictEqual(result, 'ok');
      assert.strictEqual(calls, 3);
      assert.deepStrictEqual(waits, [100, 3000], 'backoff, then the whole Retry-After');
      assert.deepStrictEqual(seen, [
        [1, 100],
        [2, 3000],
      ]);
    });

    it('throws a final failure at once, and the last one when the retries are spent', async () => {
      let calls = 0;
      await assert.rejects(
        withRetry(
          async () => {
            calls++;
            throw new Error('404');
          },
          { policy: { retries: 3, baseDelayMs: 1, maxDelayMs: 1 }, decide: () => ({ retry: false }) },
        ),
        /404/,
      );
      assert.strictEqual(calls, 1);
      await assert.rejects(
        withRetry(
          async (n) => {
            throw new Error(`attempt ${n}`);
          },
          { policy: { retries: 2, baseDelayMs: 1, maxDelayMs: 1 }, decide: () => ({ retry: true }) },
        ),
        /attempt 2/,
      );
    });

    it('an abort cuts a wait short', async () => {
      const ac = new AbortController();
      const started = Date.now();
      const p = withRetry(
        async () => {
          throw new Error('503');
        },
        {
          policy: { retries: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 },
          decide: () => ({ retry: true }),
          signal: ac.signal,
          onRetry: () => setTimeout(() => ac.abort(), 10),
        },
      );
      await assert.rejects(p, AbortedError);
      assert.ok(Date.now() - started < 30_000, 'the minute was not waited');
      await assert.rejects(sleep(10, ac.signal), AbortedError, 'already aborted');
    });

    it('gives each attempt a deadline, and aborts its signal there', async () => {
      let attemptSignal: AbortSignal | undefined;
      const hang = (signal: AbortSignal): Promise<never> =>
        new Promise((_resolve, reject) => {
          attemptSignal = signal;
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        });
      await assert.rejects(
        withTimeout(hang, 30),
        (e: Error) => e instanceof AttemptTimeoutError && /30 ms/.test(e.message),
      );
      assert.strictEqual(attemptSignal?.aborted, true);
      const outer = new AbortController();
      const cut = withTimeout(hang, 60_000, outer.signal);
      outer.abort();
      await assert.rejects(cut, AbortedError, 'an outside abort is not a timeout');
      assert.strictEqual(await withTimeout(async () => 7, 500), 7);
    });
  });
});

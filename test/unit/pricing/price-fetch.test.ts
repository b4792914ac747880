import assert from 'assert';
import { fetchPriceText, PriceFetchError } from '../../../src/pricing/price-fetch';
import { parseOlivinePrices } from '../../../src/pricing/olivine';
import { freePort } from '../../support/ports';
import { PriceServer, startPriceServer } from '../../support/price-server';

const quick = { timeoutMs: 2000, retries: 0, backoffMs: 10 };

async function rejection(p: Promise<unknown>): Promise<PriceFetchError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PriceFetchError, `expected a PriceFetchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the fetch to fail');
}

describe('unit: fetching a price feed over real HTTP (local server)', () => {
  let server: PriceServer;
  beforeEach(async () => (server = await startPriceServer()));
  afterEach(() => server.close());

  it('returns the body of a 200 response', async () => {
    const got = await fetchPriceText(`${server.url}/live`, quick);
    assert.strictEqual(got.status, 200);
    assert.strictEqual(got.attempts, 1);
    assert.match(got.contentType, /application\/json/);
    assert.strictEqual(parseOlivinePrices(got.text).intervals.length, 24);
  });

  it('retries a 5xx with doubling waits and succeeds when the server recovers', async () => {
    const waits: number[] = [];
    const got = await fetchPriceText(`${server.url}/flaky/2`, {
      ...quick,
      retries: 3,
      onRetry: (n, delay, err) => {
        waits.push(delay);
        assert.match(err.message, /HTTP 503/);
        assert.strictEqual(n, waits.length);
      },
    });
    assert.strictEqual(got.attempts, 3);
    assert.deepStrictEqual(waits, [10, 20]);
    assert.strictEqual(server.hits('/flaky/2'), 3);
  });

  it('gives up after the configured retries, saying how many attempts were made', async () => {
    const err = await rejection(fetchPriceText(`${server.url}/500`, { ...quick, retries: 2 }));
    assert.strictEqual(err.message, 'HTTP 500 Internal Server Error (after 3 attempts)');
    assert.strictEqual(err.status, 500);
    assert.strictEqual(server.hits('/500'), 3);
  });

  it('does not retry a 404 (it will not get better)', async () => {
    const err = await rejection(fetchPriceText(`${server.url}/404`, { ...quick, retries: 3 }));
    assert.strictEqual(err.message, 'HTTP 404 Not Found');
    assert.strictEqual(err.retryable, false);
    assert.strictEqual(server.hits('/404'), 1);
  });

  it('times out a server that never answers, and closes the connection', async () => {
    const started = Date.now();
    const err = await rejection(
      fetchPriceText(`${server.url}/hang`, { ...quick, timeoutMs: 200, retries: 1 }),
    );
    assert.strictEqual(err.message, 'timed out after 0.2 s (after 2 attempts)');
    assert.ok(Date.now() - started < 2000);
    assert.strictEqual(server.hits('/hang'), 2);
    const deadline = Date.now() + 2000;
    while (server.abandoned() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.strictEqual(server.abandoned(), 2);
  });

  it('reports a refused connection with its code', async () => {
    const port = await freePort();
    const err = await rejection(fetchPriceText(`http://127.0.0.1:${port}/`, quick));
    assert.match(err.message, /ECONNREFUSED/);
    assert.strictEqual(err.retryable, true);
  });

  it('returns an HTML page as text; the parser then rejects it as not JSON', async () => {
    const got = await fetchPriceText(`${server.url}/html`, quick);
    assert.throws(
      () => parseOlivinePrices(got.text),
      (e: Error) => e.message.startsWith('$: is not JSON'),
    );
  });

  it('stops at once when cancelled, during an attempt or a wait', async () => {
    const during = new AbortController();
    const p1 = fetchPriceText(`${server.url}/hang`, { ...quick, timeoutMs: 10_000, signal: during.signal });
    setTimeout(() => during.abort(), 50);
    assert.strictEqual((await rejection(p1)).message, 'cancelled');

    const waiting = new AbortController();
    const started = Date.now();
    const p2 = fetchPriceText(`${server.url}/500`, {
      ...quick,
      retries: 5,
      backoffMs: 10_000,
      signal: waiting.signal,
      onRetry: () => setTimeout(() => waiting.abort(), 20),
    });
    assert.strictEqual((await rejection(p2)).message, 'cancelled');
    assert.ok(Date.now() - started < 2000, 'the 10 s wait was cut short');
    assert.strictEqual(server.hits('/500'), 1);
  });
});

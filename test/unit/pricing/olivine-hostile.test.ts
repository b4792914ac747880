/**
 * Hostile or odd price bodies: every failure is a PriceFormatError naming the JSON path (never a
 * bare RangeError), early years stay as written, a UTF-8 BOM is accepted, and a fetched body has
 * a size limit with a clear error.
 */
import assert from 'assert';
import http from 'http';
import type { AddressInfo } from 'net';
import { parseOlivinePrices } from '../../../src/pricing/olivine';
import { PriceFormatError } from '../../../src/pricing/json-path';
import { fetchPriceText, PriceFetchError } from '../../../src/pricing/price-fetch';
import { parseIsoDateTime } from '../../../src/time/datetime';
import { Json, live, liveIntervals, liveText, mutate, sampleEvent, simple } from './olivine-fixtures';

function formatError(body: unknown): PriceFormatError {
  try {
    parseOlivinePrices(body);
  } catch (err) {
    assert.ok(err instanceof PriceFormatError, `expected a PriceFormatError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('unit: hostile price bodies', () => {
  it('a ~300 kB vtnComment is no RangeError (the comment is ignored with a warning)', () => {
    const body = mutate(live, (b: Json) => {
      b.eventDescriptor.vtnComment = 'x;'.repeat(150_000);
    });
    const prices = parseOlivinePrices(body);
    assert.strictEqual(prices.intervals.length, 24);
    assert.ok(prices.warnings.length <= 25, `${prices.warnings.length} warnings`);
    assert.ok(prices.warnings.some((w) => w.startsWith('$.eventDescriptor.vtnComment')));
  });

  it('durations far too long are a PriceFormatError at their path', () => {
    for (const d of ['PT99999999999999999999H', 'P100000000D']) {
      const e1 = formatError(
        mutate(live, (b: Json) => {
          liveIntervals(b)[3].duration.duration = d;
        }),
      );
      assert.strictEqual(
        e1.path,
        '$.eiEventSignals.eiEventSignal[0].intervals[3].duration.duration',
        e1.message,
      );
      const e2 = formatError(
        mutate(simple, (b: Json) => {
          b.signalMetadata.intervalDuration = d;
        }),
      );
      assert.strictEqual(e2.path, '$.signalMetadata.intervalDuration', e2.message);
      const e3 = formatError(
        mutate(sampleEvent, (b: Json) => {
          b.intervalPeriod = { start: '2026-02-17T19:00:00Z', duration: d };
        }),
      );
      assert.match(e3.path, /^\$\.intervalPeriod\.duration|^\$\.intervals\[\d+\]/, e3.message);
    }
  });

  it('a window that ends past the last representable date is a PriceFormatError', () => {
    const e = formatError(
      mutate(live, (b: Json) => {
        b.eiActivePeriod.properties.dtstart.datetime.value = '9999-12-31T23:00:00Z';
      }),
    );
    assert.match(e.path, /^\$\./);
  });

  it('years 0000–0099 stay as written', () => {
    assert.strictEqual(
      new Date(parseIsoDateTime('0001-01-01T00:00:00Z')).toISOString(),
      '0001-01-01T00:00:00.000Z',
    );
    assert.strictEqual(new Date(parseIsoDateTime('0099-12-31T23:59:59Z')).getUTCFullYear(), 99);
    assert.strictEqual(
      new Date(parseIsoDateTime('0000-02-29T00:00:00Z')).getUTCDate(),
      29,
      'year 0 is a leap year',
    );
    assert.throws(() => parseIsoDateTime('1900-02-29T00:00:00Z'), /day 29/);
    const prices = parseOlivinePrices(
      mutate(simple, (b: Json) => {
        b.activePeriod.startTime = '0001-01-01T00:00:00Z';
      }),
    );
    assert.strictEqual(prices.start, '0001-01-01T00:00:00Z');
  });

  it('accepts a UTF-8 byte-order mark, as text and as bytes', () => {
    const text = `\uFEFF${liveText()}`;
    assert.strictEqual(parseOlivinePrices(text).intervals.length, 24);
    assert.strictEqual(parseOlivinePrices(Buffer.from(text, 'utf8')).intervals.length, 24);
  });

  it('limits the size of a fetched body, with a clear error', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(3_000_000) });
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/chunked') {
        res.write(big.slice(0, 1_000_000));
        res.end(big.slice(1_000_000));
      } else {
        res.setHeader('content-length', Buffer.byteLength(big));
        res.end(big);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const p of ['/sized', '/chunked']) {
        let err: unknown;
        try {
          await fetchPriceText(`${base}${p}`, {
            timeoutMs: 5000,
            retries: 2,
            backoffMs: 10,
            maxBytes: 1_000_000,
          });
        } catch (e) {
          err = e;
        }
        assert.ok(err instanceof PriceFetchError, String(err));
        assert.match(err.message, /larger than 1000000 bytes/);
        assert.strictEqual(err.retryable, false);
      }
      const ok = await fetchPriceText(`${base}/sized`, {
        timeoutMs: 5000,
        retries: 0,
        backoffMs: 10,
        maxBytes: 4_000_000,
      });
      assert.strictEqual(ok.text.length, big.length);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

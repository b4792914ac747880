import assert from 'assert';
import * as api from '../../../src';

describe('public API (src/index.ts) for the OpenADR 3 client', () => {
  it('exports createVenClient and eventsToPriceTimeline under the names the issue gives', () => {
    assert.strictEqual(typeof api.createVenClient, 'function');
    assert.strictEqual(typeof api.eventsToPriceTimeline, 'function');
    const t = api.eventsToPriceTimeline(
      [
        {
          id: 'e',
          programID: 'p',
          intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
          intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.2] }] }],
        },
      ],
      { now: '2026-02-17T00:30:00Z' },
    );
    assert.strictEqual(t.currentPrice, 0.2);
    const client = api.createVenClient({ baseUrl: 'http://127.0.0.1:1/openadr3/3.1.0' });
    assert.strictEqual(client.apiVersion, '3.1.0');
    assert.strictEqual(client.anonymous, true);
  });
});

/** Webhook delivery waits as long as a busy receiver asks (Retry-After), within maxDelayMs. */
import assert from 'assert';
import http from 'http';
import type { AddressInfo } from 'net';
import { WebhookNotifier, type DeliveryEvent } from '../../../src/openadr/vtn/notify/webhooks';
import { SqliteStore } from '../../../src/openadr/vtn/store/sqlite';

describe('webhook delivery and Retry-After', () => {
  let server: http.Server | undefined;
  let notifier: WebhookNotifier | undefined;
  let store: SqliteStore | undefined;
  afterEach(async () => {
    await notifier?.stop();
    await store?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  async function deliverOnceTo(retryAfter: string | undefined, maxDelayMs = 5 * 60_000): Promise<number> {
    server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(503, retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
      res.end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    store = new SqliteStore(':memory:');
    await store.apply({
      notify: [
        { subscriptionID: 's1', callbackUrl: `http://127.0.0.1:${port}/cb`, bearerToken: null, body: '{}' },
      ],
    });
    const failed = new Promise<DeliveryEvent>((resolve) => {
      notifier = new WebhookNotifier(
        store!,
        { pollMs: 20, baseDelayMs: 1000, maxDelayMs },
        (e) => resolve(e),
        { loopback: true },
      );
    });
    const started = Date.now();
    notifier!.start();
    const event = await failed;
    assert.strictEqual(event.error, 'HTTP 503');
    const [row] = await store.recentOutbox(1);
    assert.strictEqual(row.state, 'pending');
    return row.nextAttemptAt - started;
  }

  it("schedules the next attempt after the receiver's Retry-After", async () => {
    const wait = await deliverOnceTo('120');
    assert.ok(wait >= 119_000 && wait <= 121_000, `next attempt in ${wait} ms`);
  });

  it('without Retry-After the backoff applies; a long one is capped at maxDelayMs', async () => {
    const plain = await deliverOnceTo(undefined);
    assert.ok(plain >= 900 && plain <= 2000, `backoff ${plain} ms`);
    await notifier?.stop();
    await store?.close();
    await new Promise((r) => server!.close(r));
    const capped = await deliverOnceTo('86400', 10_000);
    assert.ok(capped >= 9000 && capped <= 11_000, `capped ${capped} ms`);
  });
});

/**
 * How long a price change takes to reach a VEN by MQTT push: a BL replaces a pricing event through
 * the pack's VTN (3.1.0 view, publishing to Mosquitto), the VEN core (startMqttPush + the poller)
 * re-reads the events on the message. Measured from the REST answer of the write to the VEN's new
 * timeline, with the default 200 ms debounce and without it. The price of a poll (the re-read) is
 * measured in the same run, so the push overhead is the difference.
 * Needs a broker at MQTT_URL (default mqtt://127.0.0.1:1883). Run: npm run bench:ven-push
 */
import crypto from 'crypto';
import { createVtn } from '../src';
import { createPricePoller, createVenClient, startMqttPush } from '../src/openadr/client';

const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const ROUNDS = 30;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main(): Promise<void> {
  const prefix = `bench-${crypto.randomUUID()}/OpenADR/3.1.0`;
  const vtn = await createVtn({ mqtt: { url: BROKER, prefix }, onError: () => undefined });
  const { url } = await vtn.listen(0, '127.0.0.1');
  const base = url.replace(/\/openadr3\/3\.0\.1$/, '/openadr3/3.1.0');
  try {
    const bl = createVenClient({
      baseUrl: base,
      auth: { type: 'oauth2', clientId: 'bl_client', clientSecret: '1001' },
    });
    const ven = createVenClient({
      baseUrl: base,
      auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
    });
    const program = await bl.createProgram({ programName: `bench-${crypto.randomUUID()}` });
    const programID = String(program.id);
    const event = (price: number) => ({
      programID,
      eventName: 'prices',
      intervalPeriod: { start: new Date().toISOString(), duration: 'PT1H' },
      intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [price] }] }],
    });
    const created = await bl.createEvent(event(0));
    const poller = createPricePoller({ client: ven, programID });
    await poller.poll();

    // A poll alone (what every notification costs the VEN).
    const pollMs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await poller.poll();
      pollMs.push(performance.now() - t0);
    }

    for (const debounceMs of [200, 0]) {
      let waiting: ((price: number) => void) | undefined;
      let ready: () => void = () => undefined;
      const subscribed = new Promise<void>((r) => (ready = r));
      const push = await startMqttPush({
        client: ven,
        programID,
        debounceMs,
        onChange: (why) => {
          if (why === 'subscribed') return ready();
          void poller.poll().then((r) => waiting?.(r.timeline.intervals[0]?.price ?? NaN));
        },
      });
      if (!push) throw new Error('the VTN offers no MQTT notifier');
      await Promise.race([
        subscribed,
        new Promise((_r, reject) => setTimeout(() => reject(new Error(`no broker at ${BROKER}`)), 10000)),
      ]);
      const lag: number[] = [];
      for (let i = 1; i <= ROUNDS; i++) {
        const price = debounceMs + i / 1000;
        const arrived = new Promise<void>((resolve) => {
          waiting = (p) => {
            if (p === price) resolve();
          };
        });
        await bl.updateEvent(String(created.id), event(price));
        const t0 = performance.now();
        await arrived;
        lag.push(performance.now() - t0);
      }
      await push.close();
      console.log(
        `debounce ${String(debounceMs).padStart(3)} ms: write answered → new timeline median ${pct(lag, 50).toFixed(0)} ms, p95 ${pct(lag, 95).toFixed(0)} ms (${ROUNDS} changes)`,
      );
    }
    console.log(
      `one poll (the re-read a notification triggers): median ${pct(pollMs, 50).toFixed(1)} ms, p95 ${pct(pollMs, 95).toFixed(1)} ms`,
    );
  } finally {
    await vtn.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

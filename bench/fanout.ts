/**
 * Change-event fan-out for bench:vtn-scale (BENCH_MQTT=1): each VTN process runs with `--mqtt` to
 * the local Mosquitto (BENCH_MQTT_URL, default mqtt://127.0.0.1:1883) under a topic prefix of this
 * run's own, and `--change-stats 0` (a line of counts on SIGUSR2, nothing per event). For the
 * fixed-rate run it measures
 *  - MQTT: report messages received on `<prefix>/reports/create` by a subscriber here vs the
 *    load's report 201s (each report must be published once, by the instance that committed it),
 *    and their lag from the report's createdDateTime to arrival;
 *  - each instance: change events heard vs all changes committed in the window (every instance
 *    must hear every change: its own directly, the others' through LISTEN/NOTIFY + change_log),
 *    and the lag p99 from commit to hearing.
 * The window: counters reset (SIGUSR2, subscriber cleared) right before the fixed run, read after it
 * once the MQTT count has stopped moving (≤ 10 s). Prints its own table after the main one.
 */
import crypto from 'crypto';
import type { ChildProcess } from 'child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { parseChangeStats, type ChangeStatsSnapshot } from '../src/openadr/vtn/change-stats';

export const ENABLED = process.env.BENCH_MQTT === '1';
const BROKER = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
/** This run's own topics: another run or a test may share the broker. */
const PREFIX = `bench-${crypto.randomUUID()}/OpenADR/3.1.0`;

/** Extra `scripts/vtn.js` arguments for every VTN process ([] when off). */
export function vtnArgs(): string[] {
  return ENABLED ? ['--mqtt', BROKER, '--mqtt-prefix', PREFIX, '--change-stats', '0'] : [];
}

export interface FanoutResult {
  reports201: number;
  mqttReceived: number;
  /** Messages for the same report id more than once. */
  mqttDuplicates: number;
  mqttLagP50: number;
  mqttLagP99: number;
  /** Per VTN process, in start order. */
  instances: ChangeStatsSnapshot[];
}

const quantile = (xs: number[], q: number): number =>
  xs.length ? xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))] : 0;

export class Fanout {
  private lags: number[] = [];
  private ids = new Map<string, number>();
  private lines: Array<Array<(s: ChangeStatsSnapshot) => void>>;

  private constructor(
    private readonly client: MqttClient,
    private readonly vtns: ChildProcess[],
  ) {
    this.lines = vtns.map(() => []);
    vtns.forEach((child, i) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const s = parseChangeStats(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (s) this.lines[i].shift()?.(s);
        }
      });
    });
    client.on('message', (_topic, payload) => {
      const at = Date.now();
      const body = JSON.parse(payload.toString()) as { id: string; createdDateTime: string };
      this.ids.set(body.id, (this.ids.get(body.id) ?? 0) + 1);
      this.lags.push(Math.max(0, at - Date.parse(body.createdDateTime)));
    });
  }

  /** Subscribe to the report topic; `vtns` are the VTN processes started with vtnArgs(). */
  static async attach(vtns: ChildProcess[]): Promise<Fanout> {
    const client = await mqtt.connectAsync(BROKER, { clean: true, reconnectPeriod: 1000 });
    await client.subscribeAsync(`${PREFIX}/reports/create`, { qos: 1 });
    return new Fanout(client, vtns);
  }

  /** Each VTN's stats line (asked with SIGUSR2; its counters restart). */
  private ask(): Promise<ChangeStatsSnapshot[]> {
    return Promise.all(
      this.vtns.map(
        (child, i) =>
          new Promise<ChangeStatsSnapshot>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`VTN ${i + 1}: no change stats within 10 s`)), 10000);
            this.lines[i].push((s) => {
              clearTimeout(t);
              resolve(s);
            });
            child.kill('SIGUSR2');
          }),
      ),
    );
  }

  /** Start the window (right before the fixed-rate run). */
  async reset(): Promise<void> {
    // The warm-up's last changes may still be on their way to other instances and the broker.
    await new Promise((r) => setTimeout(r, 1000));
    await this.ask();
    this.lags = [];
    this.ids.clear();
  }

  /** End the window: wait for the MQTT count to settle, then read every instance. */
  async collect(reports201: number): Promise<FanoutResult> {
    const deadline = Date.now() + 10000;
    let last = -1;
    while (Date.now() < deadline && (this.lags.length !== last || this.lags.length < reports201)) {
      last = this.lags.length;
      await new Promise((r) => setTimeout(r, 500));
    }
    const instances = await this.ask();
    const lags = [...this.lags].sort((a, b) => a - b);
    return {
      reports201,
      mqttReceived: lags.length,
      mqttDuplicates: [...this.ids.values()].reduce((n, k) => n + k - 1, 0),
      mqttLagP50: quantile(lags, 0.5),
      mqttLagP99: quantile(lags, 0.99),
      instances,
    };
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/** The fan-out table, one row per store/process count. */
export function printFanout(rows: Array<{ label: string; fanout?: FanoutResult }>): void {
  const shown = rows.filter((r) => r.fanout);
  if (!shown.length) return;
  console.log(
    `\nChange-event fan-out at the fixed rate (MQTT at ${BROKER}; each report published once, every instance hears every change):`,
  );
  console.log(
    '| store, processes | report 201s | MQTT reports received (duplicates) | MQTT lag p50 / p99 | per instance: changes heard / all (local + remote), lag p50 / p99 |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const { label, fanout: f } of shown) {
    const all = f!.instances.reduce((n, s) => n + s.local, 0);
    const per = f!.instances
      .map(
        (s, i) =>
          `#${i + 1}: ${s.heard} / ${all} (${s.local} + ${s.remote}), ${s.lagP50Ms} / ${s.lagP99Ms} ms`,
      )
      .join('; ');
    const ok =
      f!.mqttReceived === f!.reports201 &&
      f!.mqttDuplicates === 0 &&
      f!.instances.every((s) => s.heard === all);
    console.log(
      `| ${label} | ${f!.reports201} | ${f!.mqttReceived} (${f!.mqttDuplicates})${ok ? '' : ' MISMATCH'} | ${f!.mqttLagP50} / ${f!.mqttLagP99} ms | ${per} |`,
    );
  }
}

/**
 * Mosquitto for MQTT tests: the machine's broker on 127.0.0.1:1883 (MQTT_URL overrides), or a
 * private one this test starts and stops (for restarts). Unreachable → skip, except under CI=true,
 * where it is a failure.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import mqtt, { type MqttClient } from 'mqtt';

export const BROKER_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

function reachable(port: number, host: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Skip (or fail under CI=true) when the shared broker does not answer. */
export async function requireBroker(ctx: Mocha.Context): Promise<string> {
  const u = new URL(BROKER_URL);
  if (await reachable(Number(u.port || 1883), u.hostname)) return BROKER_URL;
  const why = `no MQTT broker at ${BROKER_URL} (start one: mosquitto -d -c /etc/mosquitto/mosquitto.conf)`;
  if (process.env.CI === 'true') throw new Error(why);
  ctx.skip();
  return why;
}

/** A client that connects once and never reconnects: a refused connection rejects. */
export function connectOnce(url: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10000 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** A mosquitto of our own on `port`, persistent sessions kept in a temp dir across restarts. */
export class PrivateBroker {
  private child: ChildProcess | undefined;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosq-'));

  /** `extra`: more mosquitto.conf lines (e.g. `sys_interval 1` to watch $SYS/broker/clients). */
  constructor(
    readonly port: number,
    extra: string[] = [],
  ) {
    fs.writeFileSync(
      path.join(this.dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${this.dir}/`,
        ...extra,
      ].join('\n') + '\n',
    );
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('mosquitto', ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    while (!(await reachable(this.port, '127.0.0.1', 200))) {
      if (Date.now() > deadline) throw new Error(`mosquitto did not start on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM: mosquitto saves its sessions (and their queued messages) and exits. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Received {
  topic: string;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  at: number;
}

/** A subscriber that records every message under `filter`. */
export async function listen(
  url: string,
  filter: string,
  opts: { clientId?: string; clean?: boolean; reconnectPeriod?: number } = {},
): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await mqtt.connectAsync(url, {
    clientId: opts.clientId,
    clean: opts.clean ?? true,
    reconnectPeriod: opts.reconnectPeriod ?? 200,
  });
  const received: Received[] = [];
  client.on('message', (topic, payload) =>
    received.push({ topic, body: JSON.parse(payload.toString()), at: Date.now() }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received };
}

export async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

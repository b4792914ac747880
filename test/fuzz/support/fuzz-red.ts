/**
 * The fuzz layer's Node-RED: one real `node red.js` process (test/support/node-red-process.ts, so
 * it runs on whichever Node and Node-RED the machine has) with every node type of the pack, each on
 * a tab of its own:
 *
 *   http in POST /fuzz/<type> → test-fuzz-source → <subject> → test-fuzz-recorder (per output)
 *   Catch, Complete and Status nodes scoped to the subject → test-fuzz-recorder
 *
 * around the services the subjects need: a second openadr3-vtn (the one the VEN, publish and
 * report nodes talk to; the subject VTN is a separate one), a simulated water heater behind a
 * cta2045-port, a Modbus TCP device and a price server in the test process.
 * The test-only nodes live in test/fixtures/nodes/fuzz/.
 */
import path from 'path';
import { freePort } from '../../support/ports';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../../support/node-red-process';
import { RunningDevice, startTcpDevice } from '../../support/modbus-device';
import { PriceServer, startPriceServer } from '../../support/price-server';

export const fixtureNodes = path.join(repoRoot, 'test', 'fixtures', 'nodes');

/** A message description, built inside Node-RED by test/fixtures/nodes/fuzz/lib/hostile.js. */
export interface MessageSpec {
  topic?: unknown;
  payload?: ValueSpec;
  props?: Record<string, ValueSpec>;
  msgGetter?: string;
}
export type ValueSpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'deep' | 'deepArray'; depth?: number }
  | { kind: 'getter'; name?: string; base?: Record<string, unknown> }
  | { kind: 'circular' | 'bigint' | 'nan' | 'infinity' | 'proto' }
  | { kind: 'bigString'; length?: number }
  | { kind: 'bigArray'; length?: number; fill?: 'index' };

export interface FuzzEvent {
  kind: 'sent' | 'output' | 'catch' | 'complete' | 'status';
  id: string;
  at: number;
  port?: number;
  fill?: string;
  text?: string;
  message?: string;
  source?: string;
  copyNote?: boolean;
}

/** Node types with an input, in the pack's order; the two config nodes are used by them. */
export const SUBJECT_TYPES = [
  'hpwh-chart',
  'olivine-prices',
  'hpwh-lp-scheduler',
  'hpwh-heuristic-scheduler',
  'cta2045-out',
  'openadr3-vtn',
  'hpwh-modbus-out',
  'openadr3-ven',
  'openadr3-publish',
  'openadr3-report',
  'openadr3-local-price',
  'hpwh-dispatch',
] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export const PROGRAM = 'fuzz-prices';

export const subjectId = (type: string): string => `subject-${type}`;

interface Ports {
  serviceVtn: number;
  subjectVtn: number;
}

function subjectConfig(
  type: SubjectType,
  ports: Ports,
  priceUrl: string,
  modbusPort: number,
): { outputs: number; config: Record<string, unknown> } {
  switch (type) {
    case 'hpwh-chart':
      return { outputs: 1, config: { path: '', configVersion: 1 } };
    case 'olivine-prices':
      return {
        outputs: 1,
        config: {
          url: `${priceUrl}/live`,
          hourly: false,
          fetchOnStart: false,
          retries: 0,
          timeout: 5,
          configVersion: 1,
        },
      };
    case 'hpwh-lp-scheduler':
    case 'hpwh-heuristic-scheduler':
      return { outputs: 1, config: { configVersion: 1 } };
    case 'cta2045-out':
      return { outputs: 2, config: { port: 'fuzz-cta-port', deviceLabel: 'fuzz', configVersion: 1 } };
    case 'openadr3-vtn':
      return {
        outputs: 1,
        config: {
          port: ports.subjectVtn,
          host: '127.0.0.1',
          basePath: '/openadr3/3.0.1',
          storeType: 'memory',
          allowInsecureCallbacks: true,
          configVersion: 1,
        },
      };
    case 'hpwh-modbus-out':
      return {
        outputs: 2,
        config: {
          transport: 'tcp',
          host: '127.0.0.1',
          port: modbusPort,
          unitId: 1,
          timeoutMs: 1000,
          pollSeconds: 0.5,
          reconnectSeconds: 0.3,
          registerMap: '',
          configVersion: 1,
        },
      };
    case 'openadr3-ven':
      return {
        outputs: 2,
        config: {
          vtn: 'fuzz-conn-ven',
          programName: PROGRAM,
          pollIntervalS: 60,
          push: 'none',
          configVersion: 2,
        },
      };
    case 'openadr3-publish':
      return { outputs: 1, config: { vtn: 'fuzz-conn-bl', programName: PROGRAM, configVersion: 1 } };
    case 'openadr3-report':
      return {
        outputs: 1,
        config: { vtn: 'fuzz-conn-ven', clientName: 'fuzz-ven', maxIntervals: 96, configVersion: 1 },
      };
    case 'hpwh-dispatch':
      return {
        outputs: 1,
        config: { shape: 'sg-ready', maxLockMinutes: 120, minReleaseMinutes: 60, configVersion: 1 },
      };
    case 'openadr3-local-price':
      return {
        outputs: 1,
        config: {
          programName: 'local-price',
          eventName: 'local-price',
          dollarsPerTon: '50',
          configVersion: 1,
        },
      };
  }
}

export function fuzzFlows(ports: Ports, priceUrl: string, modbusPort: number): unknown[] {
  const vtnBase = `http://127.0.0.1:${ports.serviceVtn}/openadr3/3.0.1`;
  const flows: unknown[] = [
    { id: 'tab-services', type: 'tab', label: 'services' },
    {
      id: 'fuzz-service-vtn',
      z: 'tab-services',
      type: 'openadr3-vtn',
      port: ports.serviceVtn,
      host: '127.0.0.1',
      basePath: '/openadr3/3.0.1',
      storeType: 'memory',
      allowInsecureCallbacks: true,
      configVersion: 1,
      wires: [[]],
    },
    {
      id: 'fuzz-conn-bl',
      type: 'openadr3-vtn-config',
      name: 'BL',
      baseUrl: vtnBase,
      authMode: 'oauth2',
      apiVersion: '3.0.1',
      retries: 0,
      timeoutS: 5,
      configVersion: 1,
      credentials: { clientId: 'bl_client', clientSecret: '1001' },
    },
    {
      id: 'fuzz-conn-ven',
      type: 'openadr3-vtn-config',
      name: 'VEN',
      baseUrl: vtnBase,
      authMode: 'oauth2',
      apiVersion: '3.0.1',
      retries: 0,
      timeoutS: 5,
      configVersion: 1,
      credentials: { clientId: 'ven_client', clientSecret: '999' },
    },
    {
      id: 'fuzz-cta-port',
      type: 'cta2045-port',
      transport: 'simulated',
      reconnectSeconds: 0.5,
      configVersion: 1,
    },
  ];
  for (const type of SUBJECT_TYPES) {
    const tab = `tab-${type}`;
    const subject = subjectId(type);
    const { outputs, config } = subjectConfig(type, ports, priceUrl, modbusPort);
    const recorder = (id: string, kind: string, port = 0) => ({
      id,
      z: tab,
      type: 'test-fuzz-recorder',
      kind,
      port,
      wires: [],
    });
    flows.push(
      { id: tab, type: 'tab', label: type },
      {
        id: `in-${type}`,
        z: tab,
        type: 'http in',
        url: `/fuzz/${type}`,
        method: 'post',
        wires: [[`src-${type}`]],
      },
      { id: `src-${type}`, z: tab, type: 'test-fuzz-source', wires: [[subject]] },
      {
        id: subject,
        z: tab,
        type,
        name: `fuzz ${type}`,
        ...config,
        wires: Array.from({ length: outputs }, (_, i) => [`rec-${type}-out${i}`]),
      },
      ...Array.from({ length: outputs }, (_, i) => recorder(`rec-${type}-out${i}`, 'output', i)),
      {
        id: `catch-${type}`,
        z: tab,
        type: 'catch',
        scope: [subject],
        uncaught: false,
        wires: [[`rec-${type}-catch`]],
      },
      recorder(`rec-${type}-catch`, 'catch'),
      {
        id: `complete-${type}`,
        z: tab,
        type: 'complete',
        scope: [subject],
        uncaught: false,
        wires: [[`rec-${type}-complete`]],
      },
      recorder(`rec-${type}-complete`, 'complete'),
      { id: `status-${type}`, z: tab, type: 'status', scope: [subject], wires: [[`rec-${type}-status`]] },
      recorder(`rec-${type}-status`, 'status'),
    );
  }
  return flows;
}

export interface Outcome {
  id: string;
  /** 'handled': done() was called but Node-RED could not copy the message for the Complete node (logged). */
  kind: 'catch' | 'complete' | 'handled';
  outputs: number;
  catch?: FuzzEvent;
  /** The subject's statuses seen after this message was sent, in order. */
  statuses: FuzzEvent[];
}

/** The running fuzz environment and the client side of its probes. */
export class FuzzRed {
  private cursor = 0;
  readonly events: FuzzEvent[] = [];

  private constructor(
    readonly red: NodeRedInstance,
    readonly device: RunningDevice,
    readonly prices: PriceServer,
    readonly flows: unknown[],
    readonly ports: Ports,
  ) {}

  static async start(): Promise<FuzzRed> {
    const [device, prices] = await Promise.all([startTcpDevice(), startPriceServer()]);
    const ports = { serviceVtn: await freePort(), subjectVtn: await freePort() };
    const flows = fuzzFlows(ports, prices.url, device.port!);
    const red = await startNodeRed({
      nodesDir: [fixtureNodes],
      nodeArgs: ['--expose-gc'],
      settings: { apiMaxLength: '50mb' },
    });
    const env = new FuzzRed(red, device, prices, flows, ports);
    await red.deploy(flows);
    return env;
  }

  async stop(): Promise<void> {
    await this.red.stop();
    await Promise.all([this.device.close(), this.prices.close()]);
  }

  /** The log lines Node-RED printed that say it lost control of an error. */
  fatalLog(): string[] {
    return this.red
      .log()
      .split('\n')
      .filter((l) =>
        /Uncaught Exception|Unhandled|uncaughtException|UnhandledPromiseRejection|FATAL/i.test(l),
      );
  }

  /** Send one message (or a burst) through the subject's `http in` endpoint. */
  async send(
    type: SubjectType,
    id: string,
    msg: MessageSpec | MessageSpec[],
    burst?: { count: number; ratePerSecond: number },
  ): Promise<void> {
    const res = await fetch(`${this.red.url}/fuzz/${type}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, ...(Array.isArray(msg) ? { msgs: msg } : { msg }), ...burst }),
      signal: AbortSignal.timeout(10000),
    });
    if (!res.ok) throw new Error(`POST /fuzz/${type} answered ${res.status}`);
    await res.json();
  }

  /** Send a body that is raw JSON text (what a hostile HTTP client sends): msg.payload = its parse. */
  async sendRaw(type: SubjectType, id: string, payloadJson: string, topic?: string): Promise<void> {
    const t = topic === undefined ? '' : `"topic":${JSON.stringify(topic)},`;
    const body = `{"id":${JSON.stringify(id)},"msg":{${t}"payload":{"kind":"json","value":${payloadJson}}}}`;
    const res = await fetch(`${this.red.url}/fuzz/${type}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10000),
    });
    if (!res.ok) throw new Error(`POST /fuzz/${type} answered ${res.status}: ${await res.text()}`);
  }

  /** The events on the service VTN (what openadr3-publish stored), read as the BL. */
  async serviceEvents(): Promise<Array<Record<string, unknown>>> {
    const base = `http://127.0.0.1:${this.ports.serviceVtn}/openadr3/3.0.1`;
    const tokenRes = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const res = await fetch(`${base}/events`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as Array<Record<string, unknown>>;
  }

  /** Fetch the recorder's new events. */
  async poll(): Promise<FuzzEvent[]> {
    const res = await fetch(`${this.red.url}/fuzz/events?since=${this.cursor}`, {
      signal: AbortSignal.timeout(10000),
    });
    const body = (await res.json()) as { next: number; events: FuzzEvent[] };
    this.cursor = body.next;
    this.events.push(...body.events);
    return body.events;
  }

  /** The admin API answers (the process is up and its event loop is not stuck). */
  async alive(ms = 5000): Promise<boolean> {
    if (this.red.exited()) return false;
    try {
      const res = await fetch(`${this.red.url}/settings`, { signal: AbortSignal.timeout(ms) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** How each of `ids` ended: a Catch or a Complete of the subject, waiting up to `ms`. */
  async outcomes(type: SubjectType, ids: string[], ms = 5000): Promise<Map<string, Outcome>> {
    const subject = subjectId(type);
    const wanted = new Set(ids);
    const result = new Map<string, Outcome>();
    const firstSent = new Map<string, number>();
    const collect = (): void => {
      for (const e of this.events) {
        if (!wanted.has(e.id)) continue;
        if (e.kind === 'sent' && !firstSent.has(e.id)) firstSent.set(e.id, this.events.indexOf(e));
        if (result.has(e.id)) {
          if (e.kind === 'output') result.get(e.id)!.outputs++;
          continue;
        }
        if (e.kind === 'catch' && e.source === subject)
          result.set(e.id, { id: e.id, kind: 'catch', outputs: 0, catch: e, statuses: [] });
        else if (e.kind === 'complete')
          result.set(e.id, { id: e.id, kind: 'complete', outputs: 0, statuses: [] });
      }
      for (const id of wanted) {
        if (result.has(id)) continue;
        if (this.red.log().includes(`message ${id} was handled, but a Complete node could not get a copy`))
          result.set(id, { id, kind: 'handled', outputs: 0, statuses: [] });
      }
      for (const o of result.values()) {
        o.outputs = this.events.filter((e) => e.kind === 'output' && e.id === o.id).length;
      }
    };
    await waitFor(
      async () => {
        await this.poll();
        collect();
        return result.size === wanted.size;
      },
      ms,
      `outcomes of ${[...wanted]
        .filter((id) => !result.has(id))
        .slice(0, 5)
        .join(', ')} on ${type}`,
    ).catch((err: Error) => {
      if (this.red.exited()) throw new Error(`Node-RED exited:\n${this.red.log().slice(-3000)}`);
      throw err;
    });
    return result;
  }

  /** Statuses of the subject recorded since `since` (ms since epoch, Node-RED's clock = ours). */
  statusesSince(type: SubjectType, since: number): FuzzEvent[] {
    const subject = subjectId(type);
    return this.events.filter((e) => e.kind === 'status' && e.source === subject && e.at >= since);
  }

  lastStatus(type: SubjectType): FuzzEvent | undefined {
    const subject = subjectId(type);
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e.kind === 'status' && e.source === subject) return e;
    }
    return undefined;
  }

  /** Heap after a full garbage collection in the Node-RED process. */
  async heapUsed(): Promise<number> {
    const res = await fetch(`${this.red.url}/fuzz/memory`, { method: 'POST' });
    const body = (await res.json()) as { gc: boolean; heapUsed: number };
    if (!body.gc) throw new Error('Node-RED was not started with --expose-gc');
    return body.heapUsed;
  }

  /** A full redeploy of the same flows (every node closed and created anew). */
  async redeploy(): Promise<void> {
    await this.red.deploy(this.flows);
  }
}

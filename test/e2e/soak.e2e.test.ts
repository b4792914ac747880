/**
 * Soak: the demo pipeline (flows/demo.json, flow 1) in a real Node-RED for a simulated WEEK, with
 * 20 full redeploys on the way. Time is scaled process-wide with OPENADR3_HPWH_TIME_SCALE (see
 * src/time/clock.ts processClock): the hourly price fetch, the schedule horizon, the heater's
 * tank and the CTA-2045 schedule boundaries all run ~4000× faster, while network and link timing
 * stay real. A test-only admin endpoint (test/fixtures/soak/soak-probe) reports the heap after a
 * full GC, process listeners, active handles and HTTP routes.
 *
 * Checked: memory stays flat (late vs early window), nothing accumulates across redeploys
 * (listeners, servers, routes), nothing throws (no [error], no uncaught exception, no
 * MaxListenersExceededWarning) and the heater still gets commands at the end of the week.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { demoFlows, FlowNode } from '../support/demo-flows';
import { exampleBank, startTcpDevice } from '../support/modbus-device';
import { freePort } from '../support/ports';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** A simulated week in about 150 s of real time. */
const FACTOR = 4032;
const REDEPLOYS = 20;

interface Probe {
  memory: NodeJS.MemoryUsage;
  gc: boolean;
  listeners: Record<string, number>;
  handles: Record<string, number>;
  routes: { httpNode: number | null; httpAdmin: number | null };
  now: number;
  factor: number;
}

interface DemoState {
  commands: Array<{ outcome?: string; command?: string; at?: string }>;
  telemetry: unknown[];
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

describe('e2e: soak — a simulated week and 20 redeploys of the demo; every example deployed and removed', function () {
  this.timeout(330_000);
  let red: NodeRedInstance | undefined;

  afterEach(async () => {
    await red?.stop();
    red = undefined;
  });

  it('keeps memory flat, leaks nothing across redeploys, never throws, and still commands the heater', async () => {
    const vtnPort = await freePort();
    const closedPort = await freePort();
    red = await startNodeRed({
      nodesDir: [path.join(repoRoot, 'test', 'fixtures', 'soak')],
      env: { OPENADR3_HPWH_TIME_SCALE: String(FACTOR) },
      nodeArgs: ['--expose-gc'],
    });
    const node = red;
    const probe = async (): Promise<Probe> => {
      const res = await node.get('/soak-probe');
      assert.strictEqual(res.status, 200, 'the soak probe answers');
      return (await res.json()) as Probe;
    };
    const state = async (): Promise<DemoState> => (await (await node.get('/demo/state')).json()) as DemoState;
    const lastAcked = (s: DemoState): number => {
      const acked = s.commands.filter((c) => c.outcome === 'acked' && c.at);
      return acked.length ? Date.parse(acked[acked.length - 1].at!) : 0;
    };
    // Offline like the demo on this machine, and never 168 calls to the real Olivine API from CI:
    // a closed local port, so every hourly fetch falls back to the bundled sample at once.
    const flows = demoFlows(vtnPort, `http://127.0.0.1:${closedPort}/etou-dyn`);

    await node.deploy(flows);
    const first = await probe();
    assert.strictEqual(first.factor, FACTOR, 'the process clock is scaled');
    assert.ok(first.gc, 'global.gc is exposed, so heap samples are after a full collection');
    const start = first.now;
    await waitFor(async () => lastAcked(await state()) > 0, 90_000, 'the first command acked by the heater');

    const samples: Array<{ simMs: number; heap: number; rss: number }> = [];
    const sample = async (): Promise<Probe> => {
      const p = await probe();
      samples.push({ simMs: p.now - start, heap: p.memory.heapUsed, rss: p.memory.rss });
      return p;
    };
    /** Sample every ~2 s (real) until the simulated clock has run `untilMs` since the start. */
    const runUntil = async (untilMs: number): Promise<void> => {
      for (;;) {
        const p = await sample();
        assert.ok(!node.exited(), `Node-RED is still running\n${node.log().slice(-3000)}`);
        if (p.now - start >= untilMs) return;
        await new Promise((r) => setTimeout(r, 2000));
      }
    };

    // Warm-up (modules, JIT, caches, the VTN's store and token cache), then the early window.
    await runUntil(DAY_MS / 2);
    await runUntil(1.5 * DAY_MS);
    const before = await probe();

    // 20 full redeploys of the same flows, then on to day 4.
    for (let i = 0; i < REDEPLOYS; i++) {
      await node.deploy(flows);
      await sample();
      await new Promise((r) => setTimeout(r, 1000));
    }
    await runUntil(4 * DAY_MS);
    const afterRedeploys = await probe();
    const afterRedeploySim = afterRedeploys.now;

    // The rest of the week, then the late window.
    await runUntil(WEEK_MS);
    const last = await probe();

    // Memory: the median heap (after a full GC) of the last simulated day against the early window
    // (after the warm-up, before the redeploys).
    const early = samples.filter((s) => s.simMs >= DAY_MS / 2 && s.simMs < 1.5 * DAY_MS);
    const late = samples.filter((s) => s.simMs >= 6 * DAY_MS);
    assert.ok(
      early.length >= 3 && late.length >= 3,
      `enough samples: ${early.length} early, ${late.length} late`,
    );
    const heapEarly = median(early.map((s) => s.heap));
    const heapLate = median(late.map((s) => s.heap));
    const rssEarly = median(early.map((s) => s.rss));
    const rssLate = median(late.map((s) => s.rss));
    console.log(
      `      soak: ${samples.length} samples; heap ${mb(heapEarly)} → ${mb(heapLate)}, rss ${mb(rssEarly)} → ${mb(rssLate)}; ` +
        `simulated ${((last.now - start) / DAY_MS).toFixed(1)} days`,
    );
    assert.ok(heapLate < heapEarly * 1.3, `heap grew from ${mb(heapEarly)} to ${mb(heapLate)} (limit +30%)`);
    assert.ok(rssLate < rssEarly * 1.5, `rss grew from ${mb(rssEarly)} to ${mb(rssLate)} (limit +50%)`);

    // Nothing accumulates across redeploys: process listeners, listening servers and HTTP routes
    // are what they were after the first deploy; sockets and timers come and go, so only bounded.
    console.log(
      `      soak: listeners ${JSON.stringify(before.listeners)} → ${JSON.stringify(afterRedeploys.listeners)}; ` +
        `handles ${JSON.stringify(before.handles)} → ${JSON.stringify(afterRedeploys.handles)}; ` +
        `routes ${JSON.stringify(before.routes)} → ${JSON.stringify(afterRedeploys.routes)}`,
    );
    for (const [event, count] of Object.entries(afterRedeploys.listeners))
      assert.ok(
        count <= (before.listeners[event] ?? 0),
        `process '${event}' listeners: ${before.listeners[event] ?? 0} → ${count}`,
      );
    assert.deepStrictEqual(afterRedeploys.routes, before.routes, 'HTTP routes after 20 redeploys');
    assert.strictEqual(
      afterRedeploys.handles.TCPServerWrap ?? 0,
      before.handles.TCPServerWrap ?? 0,
      'listening servers after 20 redeploys',
    );
    for (const type of ['TCPSocketWrap', 'Timeout'])
      assert.ok(
        (last.handles[type] ?? 0) <= (before.handles[type] ?? 0) + 20,
        `${type} handles: ${before.handles[type] ?? 0} → ${last.handles[type] ?? 0}`,
      );

    // Still working at the end of the week: a command acked after the last redeploy settled.
    const commandAt = await waitFor(
      async () => {
        const t = lastAcked(await state());
        return t > afterRedeploySim ? t : undefined;
      },
      30_000,
      'a command acked after the redeploys',
    );
    assert.ok(commandAt - start > 4 * DAY_MS, 'commands kept coming for days after the redeploys');
    const svg = await node.get('/hpwh/schedule.svg');
    assert.strictEqual(svg.status, 200, 'the schedule picture is still served');
    assert.match(await svg.text(), /<svg/);
    // The hourly price cadence really ran through the week: each fetch fell back to the sample.
    const fetches = node.log().split('using sample prices').length - 1;
    console.log(`      soak: ${fetches} hourly price fetches (sample fallback)`);
    // ~170 on an idle machine; a loaded one may run a late fetch into the next hour.
    assert.ok(fetches >= 4 * 24, `about one price fetch per simulated hour, saw ${fetches}`);

    // Never threw.
    const log = node.log();
    assert.ok(!node.exited(), 'Node-RED is still running');
    assert.doesNotMatch(log, /MaxListenersExceededWarning/);
    assert.doesNotMatch(log, /uncaught|unhandled/i);
    const errors = log.split('\n').filter((l) => /\[error\]/.test(l));
    assert.deepStrictEqual(errors, [], 'no [error] lines in the Node-RED log');
  });

  it('every example, deployed and removed 3 times over, leaves no server, socket, route or listener behind', async () => {
    const device = await startTcpDevice(exampleBank());
    try {
      red = await startNodeRed({
        nodesDir: [path.join(repoRoot, 'test', 'fixtures', 'soak')],
        nodeArgs: ['--expose-gc'],
      });
      const node = red;
      const probe = async (): Promise<Probe> => (await (await node.get('/soak-probe')).json()) as Probe;
      const closedPort = await freePort();
      const names = fs
        .readdirSync(path.join(repoRoot, 'examples'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.replace(/\.json$/, ''));
      const examples: FlowNode[][] = [];
      for (const name of names) {
        const res = await node.get(`/library/examples/flows/node-red-contrib-openadr3-hpwh/${name}`);
        assert.strictEqual(res.status, 200, name);
        const flow = (await res.json()) as FlowNode[];
        const vtnPort = await freePort();
        for (const n of flow) {
          // Free ports instead of 8080/5020; no real price API.
          if (n.type === 'openadr3-vtn') n.port = vtnPort;
          if (typeof n.baseUrl === 'string') n.baseUrl = n.baseUrl.replace(':8080/', `:${vtnPort}/`);
          if (n.type === 'hpwh-modbus-out') n.port = device.port;
          if (n.type === 'olivine-prices') n.url = `http://127.0.0.1:${closedPort}/etou-dyn`;
        }
        examples.push(flow);
      }
      await node.deploy([]);
      await new Promise((r) => setTimeout(r, 1000));
      const baseline = await probe();
      for (let round = 0; round < 3; round++) {
        for (const flow of examples) {
          await node.deploy(flow);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await node.deploy([]);
      // Closing is asynchronous (sockets, the VTN's server): give it a moment.
      const after = await waitFor(
        async () => {
          const p = await probe();
          return (p.handles.TCPServerWrap ?? 0) <= (baseline.handles.TCPServerWrap ?? 0) &&
            device.connections() === 0
            ? p
            : undefined;
        },
        15_000,
        'servers and Modbus connections closed after the examples were removed',
      );
      console.log(
        `      examples: handles ${JSON.stringify(baseline.handles)} → ${JSON.stringify(after.handles)}; routes ${JSON.stringify(baseline.routes)} → ${JSON.stringify(after.routes)}`,
      );
      assert.deepStrictEqual(after.routes, baseline.routes, 'HTTP routes');
      for (const [event, count] of Object.entries(after.listeners))
        assert.ok(
          count <= (baseline.listeners[event] ?? 0),
          `process '${event}' listeners: ${baseline.listeners[event] ?? 0} → ${count}`,
        );
      assert.ok(
        (after.handles.TCPSocketWrap ?? 0) <= (baseline.handles.TCPSocketWrap ?? 0) + 3,
        `sockets: ${baseline.handles.TCPSocketWrap ?? 0} → ${after.handles.TCPSocketWrap ?? 0}`,
      );
      assert.ok(
        (after.handles.Timeout ?? 0) <= (baseline.handles.Timeout ?? 0) + 5,
        `timers: ${baseline.handles.Timeout ?? 0} → ${after.handles.Timeout ?? 0}`,
      );
      assert.doesNotMatch(node.log(), /MaxListenersExceededWarning|uncaught|unhandled/i);
      assert.ok(!node.exited());
    } finally {
      await device.close();
    }
  });
});

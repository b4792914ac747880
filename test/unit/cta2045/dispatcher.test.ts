import assert from 'assert';
import { Clock, scaledClock } from '../../../src/cta2045/clock';
import { Cta2045Connection } from '../../../src/cta2045/connection';
import {
  DispatchRecord,
  parseSchedule,
  ScheduleDispatcher,
  Cta2045Telemetry,
} from '../../../src/cta2045/dispatcher';
import { SimulatorVariants, WaterHeaterSimulator } from '../../../src/cta2045/simulator/water-heater';
import { SimulatedWire } from '../../../src/cta2045/simulator/wire';
import { FAST, ManualClock, until } from './helpers';

const T0 = Date.parse('2026-11-27T12:00:00Z');
const min = (m: number): string => new Date(T0 + m * 60_000).toISOString();

interface Rig {
  sim: WaterHeaterSimulator;
  wire: SimulatedWire;
  conn: Cta2045Connection;
  disp: ScheduleDispatcher;
  records: DispatchRecord[];
  clock: Clock;
}

describe('cta2045 schedule dispatcher (time-scaled, simulated water heater)', () => {
  const rigs: Rig[] = [];
  afterEach(async () => {
    for (const r of rigs.splice(0)) {
      await r.disp.stop();
      await r.conn.stop();
      r.sim.detach();
    }
  });

  /**
   * factor: simulated seconds per real second, starting 5 simulated seconds before T0; or a
   * ManualClock the test moves itself (for exact schedule timing).
   */
  async function rig(
    factor: number | ManualClock,
    options: {
      variants?: Partial<SimulatorVariants>;
      refreshSeconds?: number;
      heartbeatSeconds?: number;
      commodity7?: 'take' | 'stored';
    } = {},
  ): Promise<Rig> {
    const clock = factor instanceof ManualClock ? factor : scaledClock(factor, T0 - 5000);
    const sim = new WaterHeaterSimulator({ clock, timing: FAST, variants: options.variants });
    const wire = new SimulatedWire(sim);
    const conn = new Cta2045Connection({
      createTransport: wire.createTransport,
      timing: FAST,
      reconnectMs: 100,
      wallClock: clock,
    });
    const disp = new ScheduleDispatcher(conn, {
      clock,
      heartbeatSeconds: options.heartbeatSeconds ?? 3600,
      refreshSeconds: options.refreshSeconds ?? 900,
      pollSeconds: 100_000,
      verifyDelaySeconds: 100_000,
      commodity7: options.commodity7,
    });
    const records: DispatchRecord[] = [];
    disp.on('command', (r: DispatchRecord) => records.push(r));
    const r = { sim, wire, conn, disp, records, clock };
    rigs.push(r);
    disp.start();
    conn.start();
    await until(() => conn.isUp, 3000, 'handshake');
    return r;
  }

  it('sends each block at its boundary with the remaining block duration, End Shed for Normal', async () => {
    // Schedule time moves only when the test advances it (ManualClock); the link runs in real
    // time. So each command carries exactly the schedule time it was decided at, whatever the
    // CPU load. Refresh is out of the way: every command here must come from a boundary.
    const clock = new ManualClock(T0);
    const { sim, disp, records } = await rig(clock, { refreshSeconds: 100_000 });
    disp.setSchedule([
      { start: min(0), end: min(15), signal: -1 },
      { start: min(15), end: min(30), signal: -1 },
      { start: min(30), end: min(45), signal: 0 },
      { start: min(45), end: min(60), signal: 1 },
      { start: min(60), end: min(75), signal: 2, extraWh: 1500 },
    ]);
    await until(() => records.length === 1, 5000, 'the Shed for the schedule');
    for (const [i, m] of [15, 30, 45, 60, 75].entries()) {
      clock.advanceTo(T0 + m * 60_000);
      await until(() => records.length === i + 2, 5000, `the command at ${m} min`);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.strictEqual(records.length, 6, JSON.stringify(records.map((r) => [r.trigger, r.command])));
    assert.deepStrictEqual(
      records.map((r) => r.trigger),
      ['schedule', 'boundary', 'boundary', 'boundary', 'boundary', 'boundary'],
    );
    // Every interval boundary re-sends the current command (docs 5 rule 3): the Shed block's
    // second interval repeats Shed with the remaining time. Collapse repeats to compare.
    const all = sim.commandLog();
    assert.deepStrictEqual(
      all.map((e) => e.command),
      ['shed', 'shed', 'normal', 'loadup', 'advanced-loadup', 'normal'],
      JSON.stringify(all),
    );
    const at = (i: number): number => (Date.parse(all[i].at) - T0) / 60_000;
    assert.deepStrictEqual(
      all.map((_, i) => at(i)),
      [0, 15, 30, 45, 60, 75],
      'shed as soon as the schedule arrives, then each command at its boundary',
    );
    // Durations cover the rest of the block from when the command was sent, rounded up to the
    // next 2N^2 seconds (the Basic DR duration byte): never short, and at most 2(2N+1) s long.
    const blockEnd: Record<string, number> = { shed: 30, loadup: 60, 'advanced-loadup': 75 };
    for (const e of all.filter((x) => x.durationSeconds)) {
      const remaining = (T0 + blockEnd[e.command] * 60_000 - Date.parse(e.at)) / 1000;
      const n = Math.ceil(Math.sqrt(remaining / 2) - 1e-9);
      assert.ok(
        e.durationSeconds! >= remaining && e.durationSeconds! < remaining + 2 * (2 * n + 1),
        `${e.command} at ${e.at}: ${e.durationSeconds} s for ${remaining} s remaining`,
      );
    }
    // Shed covers the whole 30-minute block (two intervals) from its start.
    assert.strictEqual(all[0].durationSeconds, 30 * 60);
    assert.strictEqual(all[1].durationSeconds, 968, '15 min rounds up to 2 x 22^2 s');
    assert.strictEqual(all[4].extraWh, 1500);
    assert.strictEqual(all[4].durationSeconds, 15 * 60);
    // FOUND goes out before every command.
    const found = sim.log.filter((e) => e.command === 'outside-comm-found').length;
    assert.ok(found >= 6, `FOUND before each command (${found})`);
    assert.ok(
      records.every((r) => r.outcome === 'acked'),
      JSON.stringify(records.map((r) => r.outcome)),
    );
  });

  it('re-asserts inside a long block (~15 min), so a lost frame or reboot self-heals', async () => {
    const clock = new ManualClock(T0);
    const { sim, disp, records } = await rig(clock, { refreshSeconds: 900 });
    disp.setSchedule([{ start: min(0), end: min(120), signal: -1 }]);
    await until(() => records.length === 1, 5000, 'the first Shed');
    clock.advanceTo(T0 + 15 * 60_000 - 1000);
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(records.length, 1, 'no refresh before 15 min');
    for (const m of [15, 30]) {
      const before = records.length;
      clock.advanceTo(T0 + m * 60_000);
      await until(() => records.length === before + 1, 5000, `the refresh at ${m} min`);
    }
    const sheds = sim.commandLog();
    assert.deepStrictEqual(
      sheds.map((e) => e.command),
      ['shed', 'shed', 'shed'],
    );
    assert.deepStrictEqual(
      records.map((r) => [r.trigger, r.outcome]),
      [
        ['schedule', 'acked'],
        ['refresh', 'acked'],
        ['refresh', 'acked'],
      ],
    );
    const gap = Date.parse(sheds[2].at) - Date.parse(sheds[1].at);
    assert.strictEqual(gap, 15 * 60_000, 'refresh every 15 min');
    assert.ok(
      sheds[2].durationSeconds! < sheds[1].durationSeconds! &&
        sheds[1].durationSeconds! < sheds[0].durationSeconds!,
      'the refresh carries the remaining time',
    );
    assert.ok(sheds[2].durationSeconds! >= 90 * 60);
  });

  it('re-asserts after an SGD reboot', async () => {
    const { sim, disp, records } = await rig(60);
    disp.setSchedule([{ start: min(0), end: min(240), signal: -1 }]);
    await until(() => sim.mode === 'shed', 5000, 'shed');
    sim.reboot();
    assert.strictEqual(sim.mode, 'normal');
    await until(() => sim.mode === 'shed', 5000, 'shed again after reboot');
    await until(
      () => records.some((r) => r.trigger === 'sgd-restart' && r.outcome === 'acked'),
      3000,
      `a re-assert triggered by the restart (records: ${JSON.stringify(records.map((r) => [r.trigger, r.outcome]))})`,
    ).catch((e) => {
      throw new Error(
        `${(e as Error).message} ${JSON.stringify(records.map((r) => [r.trigger, r.command, r.outcome]))}`,
      );
    });
  });

  it('re-asserts once when the polled state does not match (a silent reboot)', async () => {
    const { sim, disp, records } = await rig(60);
    const mismatches: unknown[] = [];
    disp.on('mismatch', (m: unknown) => mismatches.push(m));
    disp.setSchedule([{ start: min(0), end: min(240), signal: -1 }]);
    await until(() => records.some((r) => r.command === 'shed' && r.outcome === 'acked'), 5000, 'shed');
    sim.reboot({ silent: true });
    assert.strictEqual(sim.mode, 'normal');
    const t = await disp.poll('test');
    assert.strictEqual(t?.expectedStateMatches, false);
    await until(
      () => records.some((r) => r.trigger === 'state-mismatch' && r.outcome === 'acked'),
      5000,
      're-assert',
    );
    assert.strictEqual(sim.mode, 'shed');
    assert.strictEqual(mismatches.length, 1);
  });

  it('link pulled mid-block: goes down, reconnects, re-asserts what is current now and never the stale command', async () => {
    const { sim, wire, conn, disp, records, clock } = await rig(600);
    const statuses: boolean[] = [];
    disp.on('status', (_a: unknown, up: boolean) => statuses.push(up));
    disp.setSchedule([
      { start: min(0), end: min(20), signal: -1 },
      { start: min(20), end: min(60), signal: 1 },
    ]);
    await until(() => sim.mode === 'shed', 5000, 'shed');
    wire.unplug();
    await until(() => conn.state === 'down', 2000, 'link down');
    // The Shed -> Load Up boundary passes while the cable is out.
    await until(() => clock.now() > T0 + 25 * 60_000, 10000, 'boundary passes');
    assert.strictEqual(statuses.includes(false), true, 'status reported the link down');
    // A transaction cut by the unplug reports link-down; nothing else is attempted while down.
    const failed = records.filter((r) => r.outcome !== 'acked');
    assert.ok(
      failed.every((r) => r.outcome === 'link-down'),
      JSON.stringify(failed),
    );
    const before = sim.commandLog().length;
    wire.plug();
    await until(() => sim.commandLog().length > before, 5000, 'command after reconnect');
    const after = sim.commandLog().slice(before);
    assert.deepStrictEqual(
      after.map((e) => e.command),
      ['loadup'],
      'only the current Load Up goes out, never the stale Shed',
    );
    assert.ok(after[0].durationSeconds! < 40 * 60, 'with the remaining duration');
    await until(
      () => records.some((r) => r.trigger === 'reconnect' && r.command === 'loadup'),
      3000,
      `a re-assert triggered by the restart (records: ${JSON.stringify(records.map((r) => [r.trigger, r.outcome]))})`,
    ).catch((e) => {
      throw new Error(
        `${(e as Error).message} ${JSON.stringify(records.map((r) => [r.trigger, r.command, r.outcome]))}`,
      );
    });
  });

  it('a heater that goes silent (no link ACK) takes the link down; it comes back when it answers', async () => {
    const { sim, conn, disp, records } = await rig(600, { heartbeatSeconds: 0.2 });
    disp.setSchedule([{ start: min(0), end: min(240), signal: -1 }]);
    await until(() => sim.mode === 'shed', 5000, 'shed');
    sim.detach(); // the heater stops answering; the wire stays "plugged"
    await until(() => conn.state === 'down', 5000, 'down after link-ACK timeouts');
    assert.match(conn.reason, /does not answer/);
    // The next connection attempt attaches the simulator again (the wire re-plugs it).
    await until(() => conn.isUp, 5000, 'up again');
    await until(
      () => records.some((r) => r.trigger === 'reconnect' && r.command === 'shed' && r.outcome === 'acked'),
      5000,
      'shed re-asserted',
    );
  });

  it('falls back to Load Up when the heater does not support Advanced Load Up', async () => {
    const { sim, disp, records } = await rig(60, { variants: { advancedLoadUp: false } });
    disp.setSchedule([{ start: min(0), end: min(60), signal: 2 }]);
    await until(() => records.length >= 1, 5000, 'a command');
    assert.strictEqual(records[0].command, 'loadup');
    assert.strictEqual(records[0].requested, 'advanced-loadup');
    assert.strictEqual(sim.mode, 'loadup');
  });

  it('falls back to Load Up when ALU is refused at run time (rc 0x08)', async () => {
    const { sim, disp, records } = await rig(60);
    sim.capabilityBitmap = 0; // capability bit cleared after the handshake
    disp.setSchedule([{ start: min(0), end: min(60), signal: 2 }]);
    await until(() => records.length >= 1, 5000, 'a command');
    assert.strictEqual(records[0].command, 'loadup');
    assert.strictEqual(sim.mode, 'loadup');
  });

  it('a single command overrides the schedule for its duration', async () => {
    const { sim, disp } = await rig(60);
    const rec = await disp.command({ command: 'grid-emergency', durationSeconds: 1800 });
    assert.strictEqual(rec?.outcome, 'acked');
    assert.strictEqual(sim.mode, 'grid-emergency');
    assert.throws(() => disp.command({ command: 'explode' as never }), /command must be one of/);
    assert.throws(
      () => disp.command({ command: 'shed', durationSeconds: -3 }),
      /durationSeconds must be a positive number/,
    );
  });

  it('a single command refused while the link is down never comes into force later', async () => {
    const { sim, wire, conn, disp, records } = await rig(60);
    disp.setSchedule([{ start: min(0), end: min(240), signal: -1 }]);
    await until(() => records.some((r) => r.command === 'shed' && r.outcome === 'acked'), 5000, 'shed');
    wire.unplug();
    await until(() => conn.state === 'down', 2000, 'down');
    assert.strictEqual(await disp.command({ command: 'loadup', durationSeconds: 3600 }), null);
    const before = sim.commandLog().length;
    wire.plug();
    await until(
      () => records.some((r) => r.trigger === 'reconnect' && r.outcome === 'acked'),
      5000,
      're-assert',
    );
    assert.deepStrictEqual(
      sim
        .commandLog()
        .slice(before)
        .map((e) => e.command),
      ['shed'],
    );
  });

  it('upstream lost sends LOST; shutdown sends End Shed then LOST', async () => {
    const { sim, disp } = await rig(60);
    disp.setSchedule([{ start: min(0), end: min(240), signal: -1 }]);
    await until(() => sim.mode === 'shed', 5000, 'shed');
    disp.setUpstream(false);
    await until(() => sim.log.some((e) => e.command === 'outside-comm-lost'), 3000, 'LOST');
    assert.strictEqual(sim.mode, 'normal', 'the simulator drops the event on LOST');
    disp.setUpstream(true);
    await until(
      () => sim.log.filter((e) => e.command === 'outside-comm-found').length >= 2,
      3000,
      'FOUND again',
    );
    const n = sim.log.length;
    await disp.stop();
    assert.deepStrictEqual(
      sim.log.slice(n).map((e) => e.command),
      ['normal', 'outside-comm-lost'],
    );
  });

  it('without heartbeats the simulator drops the event after its comm timeout; FOUND heartbeats keep it', async () => {
    // The no-comm timeout and the heartbeat are real (link-clock) time: 1.5 s and 0.3 s here.
    const quiet = await rig(60, { heartbeatSeconds: 100_000, variants: { commTimeoutSeconds: 1.5 } });
    const kept = await rig(60, { heartbeatSeconds: 0.3, variants: { commTimeoutSeconds: 1.5 } });
    for (const r of [quiet, kept]) r.disp.setSchedule([{ start: min(0), end: min(60), signal: -1 }]);
    await until(() => quiet.sim.mode === 'shed' && kept.sim.mode === 'shed', 5000, 'shed');
    await new Promise((r) => setTimeout(r, 2500));
    quiet.sim.advance();
    kept.sim.advance();
    assert.strictEqual(quiet.sim.mode, 'normal', 'no FOUND for 1.5 s: back to normal');
    assert.strictEqual(kept.sim.mode, 'shed', 'FOUND every 0.3 s keeps the event');
  });

  for (const meaning of ['take', 'stored'] as const) {
    it(`telemetry reads energy take/stored when commodity code 7 means "${meaning}"`, async () => {
      const { sim, disp } = await rig(60, { variants: { commodity7: meaning }, commodity7: meaning });
      disp.setSchedule([{ start: min(0), end: min(60), signal: -1 }]);
      await until(() => sim.mode === 'shed', 5000, 'shed');
      const t = (await disp.poll('test')) as Cta2045Telemetry;
      assert.ok(t);
      sim.advance();
      assert.strictEqual(t.capacityWh, Math.round(sim.tank.capacityWh));
      assert.ok(
        Math.abs(t.energyStoredWh! - sim.tank.storedWh) < 30,
        `${t.energyStoredWh} vs ${sim.tank.storedWh}`,
      );
      assert.ok(Math.abs(t.energyStoredWh! + t.energyTakeWh! - t.capacityWh!) <= 1);
      assert.ok(['IdleCurtailed', 'RunningCurtailed'].includes(t.operatingState!));
      assert.strictEqual(t.expectedStateMatches, true);
      assert.strictEqual(t.mode, 'shed');
      assert.strictEqual(t.device.model, 'SIM-HPWH-50');
      assert.strictEqual(typeof t.powerW, 'number');
    });
  }

  it('rejects a bad schedule with an error naming the field', () => {
    assert.throws(() => parseSchedule({}), /schedule\.intervals: must be a list/);
    assert.throws(() => parseSchedule([{ start: min(0), signal: 0 }]), /intervals\[0\]\.end: is missing/);
    assert.throws(
      () => parseSchedule([{ start: 'soon', end: min(1), signal: 0 }]),
      /\[0\]\.start: is not a valid time/,
    );
    assert.throws(
      () => parseSchedule([{ start: min(0), end: min(1), signal: 5 }]),
      /signal: must be -1, 0, 1 or 2/,
    );
    assert.throws(() => parseSchedule([{ start: min(1), end: min(0), signal: 0 }]), /ends before it starts/);
  });
});

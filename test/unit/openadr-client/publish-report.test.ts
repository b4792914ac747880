import assert from 'assert';
import fs from 'fs';
import path from 'path';
import {
  createVenClient,
  ensureProgram,
  OpenAdrEvent,
  OpenReportState,
  publishEvent,
  readTelemetry,
  toOperatingState,
  upsertProgram,
  upsertTelemetryReport,
  VenClient,
} from '../../../src/openadr/client';
import { packageRoot } from '../../../src';
import { FixtureVtn, startFixtureVtn } from '../../support/fixture-vtn';

const sample = (): OpenAdrEvent =>
  JSON.parse(
    fs.readFileSync(path.join(packageRoot(), 'sample_data', 'event_pricing.json'), 'utf8'),
  ) as OpenAdrEvent;
const programTemplate = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), 'sample_data', 'program_pricing.json'), 'utf8'),
);

const telemetry = (time: string, extra: Record<string, unknown> = {}) => ({
  time,
  operatingState: 'RunningNormal',
  energyTakeWh: 1200,
  energyStoredWh: 3000,
  capacityWh: 4000,
  powerW: 450,
  customerOverride: false,
  device: { model: 'sim' },
  ...extra,
});

describe('publish and report helpers against a fixture VTN', () => {
  let vtn: FixtureVtn;
  let bl: VenClient;
  beforeEach(async () => {
    vtn = await startFixtureVtn({ clients: { bl: 'bl_secret' } });
    bl = createVenClient({
      baseUrl: vtn.url,
      auth: { type: 'oauth2', clientId: 'bl', clientSecret: 'bl_secret' },
    });
  });
  afterEach(async () => vtn.stop());

  it('ensureProgram: two writers racing on one name both get the one stored program', async () => {
    // A second client (another flow or another Node-RED) looks at the same moment: both find no
    // program, both create it, the VTN answers one of them 409.
    const other = createVenClient({
      baseUrl: vtn.url,
      auth: { type: 'oauth2', clientId: 'bl', clientSecret: 'bl_secret' },
    });
    const [a, b] = await Promise.all([
      ensureProgram(bl, 'race', programTemplate),
      ensureProgram(other, 'race', programTemplate),
    ]);
    assert.strictEqual(a.program.id, b.program.id);
    assert.deepStrictEqual([a.created, b.created].sort(), [false, true]);
    assert.strictEqual(vtn.store.programs.length, 1);
    assert.ok(
      vtn.log.some((l) => l.method === 'POST' && l.path === '/programs' && l.status === 409),
      'the race really happened (one create was refused)',
    );
  });

  it('creates the program when missing, then the event; the same eventName replaces it', async () => {
    const first = await publishEvent(bl, sample(), { programTemplate });
    assert.strictEqual(first.programCreated, true);
    assert.strictEqual(first.action, 'created');
    assert.strictEqual(first.program.programName, 'etou-dynamic-pricing');
    assert.strictEqual(vtn.store.programs[0].programLongName, 'Dynamic Time-of-Use Pricing (eTOU-Dyn)');
    assert.strictEqual((first.stored as OpenAdrEvent).programID, first.program.id, 'placeholder replaced');
    const changed = sample();
    changed.intervals[0].payloads[0].values = [0.5];
    const second = await publishEvent(bl, changed, { programTemplate });
    assert.strictEqual(second.programCreated, false);
    assert.strictEqual(second.action, 'replaced');
    assert.strictEqual(second.stored.id, first.stored.id);
    assert.strictEqual(vtn.store.events.length, 1);
    assert.deepStrictEqual(
      (vtn.store.events[0].intervals as OpenAdrEvent['intervals'])[0].payloads[0].values,
      [0.5],
    );
  });

  it('retention deletes events that ended more than N days ago, never the one just stored', async () => {
    const { program } = await publishEvent(bl, sample(), { programName: 'tou' });
    const old = {
      ...sample(),
      eventName: 'old',
      intervalPeriod: { start: '2026-01-01T00:00:00Z', duration: 'PT1H' },
    };
    await publishEvent(bl, old, { programName: 'tou' });
    const result = await publishEvent(
      bl,
      { ...sample(), eventName: 'new' },
      {
        programName: 'tou',
        retentionDays: 7,
        now: () => Date.parse('2026-02-20T00:00:00Z'),
      },
    );
    assert.strictEqual(result.deleted.length, 1);
    assert.deepStrictEqual(vtn.store.events.map((e) => e.eventName).sort(), ['etou-dyn-2026-02-17', 'new']);
    assert.strictEqual(program.programName, 'tou');
  });

  it('upserts programs by name and rejects bad input clearly', async () => {
    const a = await upsertProgram(bl, { programName: 'tou', programLongName: 'A' });
    const b = await upsertProgram(bl, { programName: 'tou', programLongName: 'B' });
    assert.deepStrictEqual([a.action, b.action], ['created', 'replaced']);
    assert.strictEqual(vtn.store.programs.length, 1);
    await assert.rejects(upsertProgram(bl, { programName: '' }), /program.programName is required/);
    await assert.rejects(publishEvent(bl, sample()), /no program: set a program name/);
    await assert.rejects(
      publishEvent(bl, { programID: 'x' } as unknown as OpenAdrEvent),
      /event.intervals must be an array/,
    );
  });

  it('reads telemetry strictly, naming the bad field', () => {
    assert.strictEqual(readTelemetry(telemetry('2026-02-17T00:00:00Z')).powerW, 450);
    assert.strictEqual(readTelemetry(telemetry('2026-02-17T00:00:00Z', { powerW: null })).powerW, null);
    assert.throws(() => readTelemetry('hot'), /msg.payload must be a telemetry object/);
    assert.throws(() => readTelemetry(telemetry('noon')), /msg.payload.time must be an ISO date-time/);
    assert.throws(
      () => readTelemetry(telemetry('2026-02-17T00:00:00Z', { powerW: '450' })),
      /msg.payload.powerW must be a number or null/,
    );
    assert.throws(
      () => readTelemetry(telemetry('2026-02-17T00:00:00Z', { customerOverride: 'no' })),
      /customerOverride must be true or false/,
    );
    assert.strictEqual(toOperatingState('IdleNormal'), 'IDLE_NORMAL');
    assert.strictEqual(toOperatingState('running curtailed'), 'RUNNING_CURTAILED');
    assert.strictEqual(toOperatingState('SGD_ERROR_CONDITION'), 'SGD_ERROR_CONDITION');
  });

  it('keeps one open report per event: creates it, then adds intervals and replaces it', async () => {
    const { stored } = await publishEvent(bl, sample(), { programName: 'tou' });
    const event = stored as OpenAdrEvent;
    await vtn.stop();
    vtn = await startFixtureVtn({ clients: { ven: 'ven_secret' }, port: vtn.port });
    vtn.store.events.push({ ...event });
    const ven = createVenClient({
      baseUrl: vtn.url,
      auth: { type: 'oauth2', clientId: 'ven', clientSecret: 'ven_secret' },
    });
    const state: OpenReportState = { intervals: [] };
    const options = { clientName: 'hpwh-1' };
    const r1 = await upsertTelemetryReport(
      ven,
      state,
      readTelemetry(telemetry('2026-02-17T19:00:00Z')),
      event,
      options,
    );
    assert.strictEqual(r1.created, true);
    const r2 = await upsertTelemetryReport(
      ven,
      state,
      readTelemetry(telemetry('2026-02-17T19:15:00Z', { operatingState: 'IdleCurtailed', powerW: 0 })),
      event,
      options,
    );
    assert.strictEqual(r2.created, false);
    assert.strictEqual(r2.stored.id, r1.stored.id);
    assert.strictEqual(vtn.store.reports.length, 1);
    const report = vtn.store.reports[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.strictEqual(report.reportName, `hpwh-hpwh-1-${event.id}`);
    assert.strictEqual(report.eventID, event.id);
    assert.strictEqual(report.programID, event.programID);
    const [i0, i1] = report.resources[0].intervals;
    assert.strictEqual(report.resources[0].resourceName, 'water-heater');
    const payload = (i: any, type: string) => i.payloads.find((p: any) => p.type === type)?.values[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.strictEqual(payload(i0, 'OPERATING_STATE'), 'RUNNING_NORMAL');
    assert.strictEqual(payload(i0, 'DEMAND'), 0.45);
    assert.strictEqual(payload(i0, 'STORAGE_CHARGE_LEVEL'), 75);
    assert.strictEqual(payload(i0, 'USAGE'), undefined, 'no usage before a second sample');
    assert.strictEqual(payload(i1, 'OPERATING_STATE'), 'IDLE_CURTAILED');
    assert.strictEqual(payload(i1, 'USAGE'), 0.1125, '450 W held for 15 min');
    assert.deepStrictEqual(i1.intervalPeriod, { start: '2026-02-17T19:00:00.000Z', duration: 'PT15M' });
    assert.deepStrictEqual([i0.id, i1.id], [0, 1]);

    // A restarted node adopts the stored report instead of creating a second one.
    const fresh: OpenReportState = { intervals: [] };
    const r3 = await upsertTelemetryReport(
      ven,
      fresh,
      readTelemetry(telemetry('2026-02-17T19:30:00Z')),
      event,
      options,
    );
    assert.strictEqual(r3.created, false);
    assert.strictEqual(vtn.store.reports.length, 1);
    assert.strictEqual((vtn.store.reports[0] as any).resources[0].intervals.length, 3); // eslint-disable-line @typescript-eslint/no-explicit-any
    await assert.rejects(
      upsertTelemetryReport(
        ven,
        fresh,
        readTelemetry(telemetry('2026-02-17T19:30:00Z')),
        { programID: 'p' },
        options,
      ),
      /the event the report answers has no id/,
    );
  });
});

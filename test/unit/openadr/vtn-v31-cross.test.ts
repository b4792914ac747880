/**
 * One store, two API versions: the pricing scenario (program, pricing event, VEN, report) written
 * once through 3.0.1 and once through 3.1.0, each object read back through the other version
 * (same id, the documented mapping), written back through it, and read again unchanged. Webhooks
 * for one change speak each subscription's own version.
 */
import assert from 'assert';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { caller31, check31, content, spec301, spec31, type Caller } from '../../support/vtn31';

const root = path.resolve(__dirname, '..', '..', '..');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(root, 'sample_data', name), 'utf8'));

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('VTN: the same objects through 3.0.1 and 3.1.0', () => {
  let t: TestVtn;
  let call31: Caller;
  let bl: string;
  let ven: string;

  beforeEach(async () => {
    t = await startTestVtn();
    call31 = caller31(t);
    bl = await t.token('bl_client', '1001');
    ven = await t.token('ven_client', '999');
  });
  afterEach(async () => t.close());

  const ok301 = (operationId: string, r: { status: number; body: Obj; text: string }, status = 200): Obj => {
    assert.strictEqual(r.status, status, `${operationId}: ${r.text}`);
    assert.deepStrictEqual(spec301.validateResponse(operationId, r.status, r.body), [], r.text);
    return r.body;
  };

  it('written through 3.0.1, read and rewritten through 3.1.0, read back unchanged', async () => {
    const program = ok301(
      'createProgram',
      await t.call('POST', '/programs', bl, {
        ...fixture('program_pricing.json'),
        targets: [{ type: 'GROUP', values: ['hpwh'] }],
      }),
      201,
    );
    const event = ok301(
      'createEvent',
      await t.call('POST', '/events', bl, { ...fixture('event_pricing.json'), programID: program.id }),
      201,
    );
    const registered = ok301('createVen', await t.call('POST', '/vens', ven, { venName: 'ven-1' }), 201);
    // Only BL grants targets: it puts the VEN in the program's group.
    const venObj = ok301(
      'updateVen',
      await t.call('PUT', `/vens/${registered.id}`, bl, {
        venName: 'ven-1',
        targets: [{ type: 'GROUP', values: ['hpwh'] }],
      }),
    );
    const report = ok301(
      'createReport',
      await t.call('POST', '/reports', ven, {
        programID: program.id,
        eventID: event.id,
        clientName: 'ven-1',
        resources: [
          { resourceName: 'hpwh-1', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] },
        ],
      }),
      201,
    );

    // Read through 3.1.0 (as the VEN: the program is targeted at its group).
    const p31 = check31(
      'searchProgramByProgramId',
      await call31('GET', `/programs/${program.id}`, ven),
      200,
    ).body;
    assert.strictEqual(p31.id, program.id);
    assert.deepStrictEqual(p31.attributes, [
      { type: 'PROGRAM_LONG_NAME', values: ['Dynamic Time-of-Use Pricing (eTOU-Dyn)'] },
      { type: 'RETAILER_NAME', values: ['PUC'] },
      { type: 'RETAILER_LONG_NAME', values: ['Pacific Utility Company'] },
      { type: 'PROGRAM_TYPE', values: ['PRICING'] },
      { type: 'COUNTRY', values: ['US'] },
      { type: 'PRINCIPAL_SUBDIVISION', values: ['CA'] },
    ]);
    assert.ok(!('retailerName' in p31), '3.0.1 fields become attributes');
    assert.deepStrictEqual(p31.targets, ['GROUP:hpwh']);
    assert.strictEqual(p31.payloadDescriptors[0].objectType, 'EVENT_PAYLOAD_DESCRIPTOR');

    const e31 = check31('searchEventsByID', await call31('GET', `/events/${event.id}`, ven), 200).body;
    assert.strictEqual(e31.id, event.id);
    assert.deepStrictEqual(e31.intervals, event.intervals);
    assert.deepStrictEqual(e31.intervalPeriod, event.intervalPeriod);

    const v31 = check31('searchVenByID', await call31('GET', `/vens/${venObj.id}`, ven), 200).body;
    assert.deepStrictEqual([v31.id, v31.clientID, v31.targets], [venObj.id, 'ven_client', ['GROUP:hpwh']]);

    const r31 = check31(
      'searchReportsByReportID',
      await call31('GET', `/reports/${report.id}`, ven),
      200,
    ).body;
    assert.deepStrictEqual([r31.id, r31.clientID, 'programID' in r31], [report.id, 'ven_client', false]);
    assert.deepStrictEqual(r31.resources, report.resources);

    // Write each back through 3.1.0 as read; 3.0.1 then reads what it wrote, field for field.
    check31('updateProgram', await call31('PUT', `/programs/${program.id}`, bl, p31), 200);
    check31('updateEvent', await call31('PUT', `/events/${event.id}`, bl, e31), 200);
    check31(
      'updateVen',
      await call31('PUT', `/vens/${venObj.id}`, bl, { ...v31, objectType: 'BL_VEN_REQUEST' }),
      200,
    );
    check31('updateReport', await call31('PUT', `/reports/${report.id}`, ven, r31), 200);
    for (const [kind, original, operationId] of [
      ['programs', program, 'searchProgramByProgramId'],
      ['events', event, 'searchEventsByID'],
      ['vens', venObj, 'searchVenByID'],
      ['reports', report, 'searchReportsByReportID'],
    ] as const) {
      const again = ok301(operationId, await t.call('GET', `/${kind}/${original.id}`, bl));
      assert.deepStrictEqual(content(again), content(original), `${kind} after a 3.1.0 round trip`);
      assert.ok(again.modificationDateTime > original.modificationDateTime, `${kind} was rewritten`);
    }
  });

  it('written through 3.1.0, read and rewritten through 3.0.1, read back unchanged', async () => {
    const pricing = fixture('event_pricing.json');
    const program = check31(
      'createProgram',
      await call31('POST', '/programs', bl, {
        programName: 'etou-dynamic-pricing',
        attributes: [
          { type: 'RETAILER_NAME', values: ['PUC'] },
          { type: 'COUNTRY', values: ['US'] },
          { type: 'CUSTOMER_CLASS', values: ['RESIDENTIAL'] }, // no 3.0.1 field: kept beside them
        ],
        payloadDescriptors: [
          { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' },
        ],
        targets: ['hpwh'],
      }),
      201,
    ).body;
    const event = check31(
      'createEvent',
      await call31('POST', '/events', bl, {
        programID: program.id,
        eventName: pricing.eventName,
        payloadDescriptors: [
          { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' },
        ],
        intervalPeriod: pricing.intervalPeriod,
        intervals: pricing.intervals,
      }),
      201,
    ).body;
    const venObj = check31(
      'createVen',
      await call31('POST', '/vens', bl, {
        objectType: 'BL_VEN_REQUEST',
        clientID: 'ven_client',
        venName: 'ven-1',
        targets: ['hpwh'],
      }),
      201,
    ).body;
    const report = check31(
      'createReport',
      await call31('POST', '/reports', ven, {
        eventID: event.id,
        clientName: 'ven-1',
        resources: [
          { resourceName: 'hpwh-1', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] },
        ],
      }),
      201,
    ).body;

    // Read through 3.0.1 as the VEN (it owns the ven BL made for it; the program targets its group).
    const p301 = ok301('searchProgramByProgramId', await t.call('GET', `/programs/${program.id}`, ven));
    assert.deepStrictEqual(
      [p301.id, p301.retailerName, p301.country, p301.targets],
      [program.id, 'PUC', 'US', [{ type: 'TARGET', values: ['hpwh'] }]],
    );
    const e301 = ok301('searchEventsByID', await t.call('GET', `/events/${event.id}`, ven));
    assert.deepStrictEqual([e301.id, e301.intervals], [event.id, pricing.intervals]);
    const v301 = ok301('searchVenByID', await t.call('GET', `/vens/${venObj.id}`, ven));
    assert.deepStrictEqual(v301.targets, [{ type: 'TARGET', values: ['hpwh'] }]);
    const r301 = ok301('searchReportsByReportID', await t.call('GET', `/reports/${report.id}`, ven));
    assert.strictEqual(r301.programID, program.id, '3.0.1 reports name the event’s program');

    ok301('updateProgram', await t.call('PUT', `/programs/${program.id}`, bl, p301));
    ok301('updateEvent', await t.call('PUT', `/events/${event.id}`, bl, e301));
    ok301('updateVen', await t.call('PUT', `/vens/${venObj.id}`, bl, v301));
    ok301('updateReport', await t.call('PUT', `/reports/${report.id}`, ven, r301));
    for (const [kind, original, operationId] of [
      ['programs', program, 'searchProgramByProgramId'],
      ['events', event, 'searchEventsByID'],
      ['vens', venObj, 'searchVenByID'],
      ['reports', report, 'searchReportsByReportID'],
    ] as const) {
      const again = check31(operationId, await call31('GET', `/${kind}/${original.id}`, ven), 200).body;
      assert.deepStrictEqual(content(again), content(original), `${kind} after a 3.0.1 round trip`);
    }
  });

  it('notifies 3.1.0 subscriptions in the 3.1.0 vocabulary and 3.0.1 ones in theirs', async () => {
    const received: Array<{ path: string; body: Obj }> = [];
    const sink = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(text) });
        res.end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;
    try {
      const program = (await call31('POST', '/programs', bl, { programName: 'n' })).body;
      const ops = (callbackUrl: string, operations: string[]): Obj[] => [
        { objects: ['EVENT'], operations, callbackUrl },
      ];
      check31(
        'createSubscription',
        await call31('POST', '/subscriptions', bl, {
          clientName: 'v31',
          programID: program.id,
          objectOperations: ops(`${url}/v31`, ['CREATE', 'DELETE']),
        }),
        201,
      );
      ok301(
        'createSubscription',
        await t.call('POST', '/subscriptions', bl, {
          clientName: 'v301',
          programID: program.id,
          objectOperations: ops(`${url}/v301`, ['CREATE', 'DELETE']),
        }),
        201,
      );
      const event = (
        await call31('POST', '/events', bl, {
          programID: program.id,
          targets: ['all'],
          intervalPeriod: { duration: 'PT1H' },
        })
      ).body;
      await call31('DELETE', `/events/${event.id}`, bl);
      const deadline = Date.now() + 5000;
      while (received.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const by = (p: string): Obj[] => received.filter((x) => x.path === p).map((x) => x.body);
      assert.deepStrictEqual(
        by('/v31').map((n) => n.operation),
        ['CREATE', 'DELETE'],
      );
      assert.deepStrictEqual(
        by('/v301').map((n) => n.operation),
        ['POST', 'DELETE'],
      );
      // Each in its own version's shape, valid against its own YAML.
      for (const n of by('/v31')) {
        assert.deepStrictEqual(spec31.validateSchema('notification', n), []);
        assert.deepStrictEqual(
          [n.object.id, n.object.targets, n.object.intervalPeriod],
          [event.id, ['all'], { duration: 'PT1H' }],
        );
      }
      for (const n of by('/v301')) {
        assert.deepStrictEqual(spec301.validateSchema('notification', n), []);
        assert.deepStrictEqual(n.object.targets, [{ type: 'TARGET', values: ['all'] }]);
      }
    } finally {
      sink.closeAllConnections();
      await new Promise((r) => sink.close(r));
    }
  });
});

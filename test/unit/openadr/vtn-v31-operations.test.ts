/**
 * Walks every operation of the 3.1.0 YAML against a real VTN over HTTP (3.0.1 served beside it
 * from the same store) and validates each response against the 3.1.0 YAML.
 */
import assert from 'assert';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { caller31, check31, spec31, type Caller } from '../../support/vtn31';

describe('VTN: every operation of the 3.1.0 YAML', () => {
  let t: TestVtn;
  let call: Caller;
  let bl: string;
  let ven: string;
  const seen = new Set<string>();

  before(async () => {
    t = await startTestVtn();
    call = caller31(t);
    bl = await t.token('bl_client', '1001');
    ven = await t.token('ven_client', '999');
  });
  after(async () => t.close());

  it('serves every object, auth and notifier operation with YAML-valid 3.1.0 responses', async () => {
    const form = await fetch(t.url.replace('3.0.1', '3.1.0') + '/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=ven_client&client_secret=999',
    });
    const tokenBody = await form.json();
    assert.strictEqual(form.status, 200);
    assert.deepStrictEqual(spec31.validateResponse('fetchToken', 200, tokenBody), []);
    seen.add('fetchToken');
    const server = check31('getAuthServerInfo', await call('GET', '/auth/server'), 200, seen).body;
    assert.match(server.tokenURL, /^http:\/\/127\.0\.0\.1:\d+\/openadr3\/3\.1\.0\/auth\/token$/);
    const notifiers = check31('listAllNotifiers', await call('GET', '/notifiers', ven), 200, seen).body;
    assert.deepStrictEqual(notifiers, { WEBHOOK: true });

    const programReq = {
      programName: 'p31',
      attributes: [
        { type: 'RETAILER_NAME', values: ['PUC'] },
        { type: 'PROGRAM_TYPE', values: ['PRICING'] },
      ],
      payloadDescriptors: [
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' },
      ],
    };
    const program = check31('createProgram', await call('POST', '/programs', bl, programReq), 201, seen).body;
    check31('searchAllPrograms', await call('GET', '/programs', ven), 200, seen);
    check31('searchProgramByProgramId', await call('GET', `/programs/${program.id}`, ven), 200, seen);
    check31(
      'updateProgram',
      await call('PUT', `/programs/${program.id}`, bl, { ...programReq, targets: ['group-a'] }),
      200,
      seen,
    );

    // 3.1: neither intervals nor intervalPeriod.start are required.
    const eventReq = { programID: program.id, eventName: 'now', intervalPeriod: { duration: 'PT1H' } };
    const event = check31('createEvent', await call('POST', '/events', bl, eventReq), 201, seen).body;
    assert.deepStrictEqual(event.intervalPeriod, { duration: 'PT1H' });
    assert.ok(!('intervals' in event), 'no intervals were sent, none come back');
    check31('searchAllEvents', await call('GET', `/events?programID=${program.id}`, bl), 200, seen);
    check31('searchEventsByID', await call('GET', `/events/${event.id}`, bl), 200, seen);
    check31(
      'updateEvent',
      await call('PUT', `/events/${event.id}`, bl, { ...eventReq, priority: 2 }),
      200,
      seen,
    );

    const venReq = {
      objectType: 'BL_VEN_REQUEST',
      clientID: 'ven_client',
      venName: 'ven-31',
      targets: ['group-a'],
    };
    const venObj = check31('createVen', await call('POST', '/vens', bl, venReq), 201, seen).body;
    assert.strictEqual(venObj.clientID, 'ven_client', 'BL names the owning client');
    check31('searchVens', await call('GET', '/vens', ven), 200, seen);
    check31('searchVenByID', await call('GET', `/vens/${venObj.id}`, ven), 200, seen);
    const venUpdated = check31(
      'updateVen',
      await call('PUT', `/vens/${venObj.id}`, ven, {
        objectType: 'VEN_VEN_REQUEST',
        venName: 'ven-31',
        attributes: [{ type: 'LOCATION', values: ['CA'] }],
      }),
      200,
      seen,
    ).body;
    assert.deepStrictEqual(venUpdated.targets, ['group-a'], 'a VEN update keeps the targets BL set');

    const res = check31(
      'createResource',
      await call('POST', '/resources', ven, {
        objectType: 'VEN_RESOURCE_REQUEST',
        venID: venObj.id,
        resourceName: 'hpwh-1',
      }),
      201,
      seen,
    ).body;
    check31('searchVenResources', await call('GET', `/resources?venID=${venObj.id}`, ven), 200, seen);
    check31('searchVenResourceByID', await call('GET', `/resources/${res.id}`, ven), 200, seen);
    check31(
      'updateVenResource',
      await call('PUT', `/resources/${res.id}`, bl, {
        objectType: 'BL_RESOURCE_REQUEST',
        clientID: 'ven_client',
        venID: venObj.id,
        resourceName: 'hpwh-1b',
        targets: ['tank-1'],
      }),
      200,
      seen,
    );

    const reportReq = {
      eventID: event.id,
      clientName: 'ven-31',
      resources: [
        { resourceName: 'hpwh-1b', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] },
      ],
    };
    const report = check31('createReport', await call('POST', '/reports', ven, reportReq), 201, seen).body;
    assert.strictEqual(report.clientID, 'ven_client', 'the VTN sets clientID');
    check31('searchAllReports', await call('GET', '/reports', ven), 200, seen);
    check31('searchReportsByReportID', await call('GET', `/reports/${report.id}`, ven), 200, seen);
    check31(
      'updateReport',
      await call('PUT', `/reports/${report.id}`, ven, { ...reportReq, reportName: 'r2' }),
      200,
      seen,
    );

    const subReq = {
      clientName: 'ven-31',
      objectOperations: [
        {
          objects: ['EVENT'],
          operations: ['CREATE', 'UPDATE', 'DELETE'],
          callbackUrl: 'http://127.0.0.1:9/cb',
        },
      ],
    };
    const sub = check31(
      'createSubscription',
      await call('POST', '/subscriptions', ven, subReq),
      201,
      seen,
    ).body;
    assert.ok(!('programID' in sub), 'a subscription without programID stays without one');
    assert.strictEqual(sub.clientID, 'ven_client');
    check31('searchSubscriptions', await call('GET', '/subscriptions?objects=EVENT', ven), 200, seen);
    check31('searchSubscriptionByID', await call('GET', `/subscriptions/${sub.id}`, ven), 200, seen);
    check31('updateSubscription', await call('PUT', `/subscriptions/${sub.id}`, ven, subReq), 200, seen);

    check31('deleteSubscription', await call('DELETE', `/subscriptions/${sub.id}`, ven), 200, seen);
    check31('deleteReport', await call('DELETE', `/reports/${report.id}`, bl), 403);
    // 3.1 gives write_reports to VENs only: the VEN deletes its own report.
    check31('deleteReport', await call('DELETE', `/reports/${report.id}`, ven), 200, seen);
    check31('deleteVenResource', await call('DELETE', `/resources/${res.id}`, ven), 200, seen);
    check31('deleteVen', await call('DELETE', `/vens/${venObj.id}`, ven), 200, seen);
    check31('deleteEvent', await call('DELETE', `/events/${event.id}`, bl), 200, seen);
    check31('deleteProgram', await call('DELETE', `/programs/${program.id}`, bl), 200, seen);

    // Without a broker the MQTT topic operations answer 404 (declared by the YAML for each).
    for (const op of spec31.operations.filter((o) => o.path.startsWith('/notifiers/mqtt/'))) {
      const path = op.path.replace(/\{\w+\}/g, 'x');
      const r = await call('GET', path, bl);
      assert.strictEqual(r.status, 404, `${op.operationId}: ${r.text}`);
      assert.match(r.body.detail, /no MQTT notifier/);
      seen.add(op.operationId);
    }
    const all = spec31.operations.map((o) => o.operationId);
    assert.deepStrictEqual(
      all.filter((o) => !seen.has(o)),
      [],
    );
  });

  it('keeps BL and VEN request objects apart, and VEN privacy', async () => {
    check31(
      'createVen',
      await call('POST', '/vens', ven, {
        objectType: 'BL_VEN_REQUEST',
        clientID: 'ven_client',
        venName: 'x',
      }),
      403,
    );
    check31(
      'createVen',
      await call('POST', '/vens', bl, { objectType: 'VEN_VEN_REQUEST', venName: 'x' }),
      400,
    );
    check31('createVen', await call('POST', '/vens', bl, { venName: 'x' }), 400);
    const other = check31(
      'createVen',
      await call('POST', '/vens', bl, {
        objectType: 'BL_VEN_REQUEST',
        clientID: 'someone_else',
        venName: 'other',
      }),
      201,
    ).body;
    check31('searchVenByID', await call('GET', `/vens/${other.id}`, ven), 404);
    assert.deepStrictEqual((await call('GET', '/vens', ven)).body, []);
    check31('searchAllReports', await call('GET', '/reports?limit=51', ven), 400);
    check31('listAllMqttNotifierTopicsVens', await call('GET', '/notifiers/mqtt/topics/vens', ven), 403);
    check31('searchAllPrograms', await call('GET', '/programs'), 401);
  });

  it('hides targets a VEN was not granted, and lets only BL grant targets', async () => {
    const mine = check31(
      'createVen',
      await call('POST', '/vens', bl, {
        objectType: 'BL_VEN_REQUEST',
        clientID: 'ven_client',
        venName: 'granted',
        targets: ['group-a'],
      }),
      201,
    ).body;
    const program = check31(
      'createProgram',
      await call('POST', '/programs', bl, { programName: 'hidden', targets: ['group-secret', 'group-a'] }),
      201,
    ).body;
    const asVen = check31(
      'searchProgramByProgramId',
      await call('GET', `/programs/${program.id}`, ven),
      200,
    ).body;
    assert.deepStrictEqual(asVen.targets, ['group-a'], 'only the granted target is shown');
    const asBl = check31(
      'searchProgramByProgramId',
      await call('GET', `/programs/${program.id}`, bl),
      200,
    ).body;
    assert.deepStrictEqual(asBl.targets, ['group-secret', 'group-a']);
    const listed = check31(
      'searchAllPrograms',
      await call('GET', '/programs?targets=group-a', ven),
      200,
    ).body;
    assert.deepStrictEqual(
      listed.map((p: { targets: string[] }) => p.targets),
      [['group-a']],
    );
    // A VEN cannot grant itself targets: extra targets in its VEN_VEN_REQUEST are not stored.
    const after = check31(
      'updateVen',
      await call('PUT', `/vens/${mine.id}`, ven, {
        objectType: 'VEN_VEN_REQUEST',
        venName: 'granted',
        targets: ['group-secret'],
      }),
      200,
    ).body;
    assert.deepStrictEqual(after.targets, ['group-a']);
    const own = check31(
      'createVen',
      await call('POST', '/vens', ven, {
        objectType: 'VEN_VEN_REQUEST',
        venName: 'self',
        targets: ['group-secret'],
      }),
      201,
    ).body;
    assert.ok(!('targets' in own), 'a VEN-created ven has no targets until BL grants some');
  });

  it('filters by 3.1 string targets and lists only active events with active=true', async () => {
    const p = (await call('POST', '/programs', bl, { programName: 'tgt' })).body;
    const hour = 3600_000;
    const at = (ms: number): string => new Date(Date.now() + ms).toISOString();
    const mk = async (name: string, start: string | undefined, targets?: string[]): Promise<string> => {
      const r = await call('POST', '/events', bl, {
        programID: p.id,
        eventName: name,
        targets,
        intervalPeriod: { ...(start ? { start } : {}), duration: 'PT1H' },
        intervals: [
          { id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] },
          { id: 1, payloads: [{ type: 'PRICE', values: [0.2] }] },
        ],
      });
      assert.strictEqual(r.status, 201, r.text);
      return r.body.eventName;
    };
    await mk('past', at(-3 * hour), ['group-a']);
    await mk('current', at(-90 * 60_000), ['GROUP:b']); // second of two hourly intervals
    await mk('future', at(hour));
    await mk('no-start', undefined);
    const names = async (q: string): Promise<string[]> => {
      const r = check31('searchAllEvents', await call('GET', `/events?programID=${p.id}${q}`, bl), 200);
      return r.body.map((e: { eventName: string }) => e.eventName);
    };
    assert.deepStrictEqual(await names('&active=true'), ['current', 'no-start']);
    assert.deepStrictEqual(await names(''), ['past', 'current', 'future', 'no-start']);
    assert.deepStrictEqual(await names('&targets=group-a'), ['past']);
    assert.deepStrictEqual(await names('&targets=GROUP:b&targets=nothing'), ['current']);
    // The same events through 3.0.1: GROUP:b is the valuesMap {type: GROUP, values: [b]}.
    const r301 = await t.call('GET', `/events?programID=${p.id}&targetType=GROUP&targetValues=b`, bl);
    assert.deepStrictEqual(
      r301.body.map((e: { targets: unknown }) => e.targets),
      [[{ type: 'GROUP', values: ['b'] }]],
    );
  });
});

/**
 * Walks every operation of the 3.0.1 YAML against a real VTN over HTTP and validates each
 * response body against the YAML's schema for that operation and status.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { loadSpec } from '../../../src';
import { startTestVtn, type Reply, type TestVtn } from '../../support/vtn-client';

const spec = loadSpec('3.0.1');
const root = path.resolve(__dirname, '..', '..', '..');
const programFixture = JSON.parse(
  fs.readFileSync(path.join(root, 'sample_data', 'program_pricing.json'), 'utf8'),
);
const eventFixture = JSON.parse(
  fs.readFileSync(path.join(root, 'sample_data', 'event_pricing.json'), 'utf8'),
);

describe('VTN: every operation of the 3.0.1 YAML', () => {
  let t: TestVtn;
  let bl: string;
  let ven: string;
  const seen = new Set<string>();

  function check(operationId: string, r: Reply, status: number): Reply {
    assert.strictEqual(r.status, status, `${operationId}: expected ${status}, got ${r.status} ${r.text}`);
    assert.match(
      r.headers.get('content-type') ?? '',
      /^application\/json/,
      `${operationId}: media type per the YAML`,
    );
    const problems = spec.validateResponse(operationId, r.status, r.body);
    assert.deepStrictEqual(
      problems,
      [],
      `${operationId} ${r.status} body does not match the YAML: ${r.text}`,
    );
    seen.add(operationId);
    return r;
  }

  before(async () => {
    t = await startTestVtn();
    bl = await t.token('bl_client', '1001');
    ven = await t.token('ven_client', '999');
  });
  after(async () => t.close());

  it('serves all 31 operations with responses that validate against the YAML', async () => {
    check(
      'fetchToken',
      await t.call(
        'POST',
        '/auth/token',
        undefined,
        'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
        { 'content-type': 'application/x-www-form-urlencoded' },
      ),
      200,
    );

    const program = check('createProgram', await t.call('POST', '/programs', bl, programFixture), 201).body;
    check('searchAllPrograms', await t.call('GET', '/programs', bl), 200);
    check('searchProgramByProgramId', await t.call('GET', `/programs/${program.id}`, bl), 200);
    check(
      'updateProgram',
      await t.call('PUT', `/programs/${program.id}`, bl, { ...programFixture, programLongName: 'changed' }),
      200,
    );

    const event = check(
      'createEvent',
      await t.call('POST', '/events', bl, { ...eventFixture, programID: program.id }),
      201,
    ).body;
    check('searchAllEvents', await t.call('GET', `/events?programID=${program.id}`, ven), 200);
    check('searchEventsByID', await t.call('GET', `/events/${event.id}`, ven), 200);
    check(
      'updateEvent',
      await t.call('PUT', `/events/${event.id}`, bl, { ...eventFixture, programID: program.id, priority: 1 }),
      200,
    );

    const venObj = check('createVen', await t.call('POST', '/vens', ven, { venName: 'ven-1' }), 201).body;
    check('searchVens', await t.call('GET', '/vens', ven), 200);
    check('searchVenByID', await t.call('GET', `/vens/${venObj.id}`, ven), 200);
    check(
      'updateVen',
      await t.call('PUT', `/vens/${venObj.id}`, ven, {
        venName: 'ven-1',
        attributes: [{ type: 'LOCATION', values: ['CA'] }],
      }),
      200,
    );

    const res = check(
      'createResource',
      await t.call('POST', `/vens/${venObj.id}/resources`, ven, { resourceName: 'hpwh-1' }),
      201,
    ).body;
    assert.strictEqual(res.venID, venObj.id);
    check('searchVenResources', await t.call('GET', `/vens/${venObj.id}/resources`, ven), 200);
    check('searchVenResourceByID', await t.call('GET', `/vens/${venObj.id}/resources/${res.id}`, ven), 200);
    check(
      'updateVenResource',
      await t.call('PUT', `/vens/${venObj.id}/resources/${res.id}`, ven, { resourceName: 'hpwh-1b' }),
      200,
    );

    const reportBody = {
      programID: program.id,
      eventID: event.id,
      clientName: 'ven-1',
      resources: [
        { resourceName: 'hpwh-1b', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] },
      ],
    };
    const report = check('createReport', await t.call('POST', '/reports', ven, reportBody), 201).body;
    check('searchAllReports', await t.call('GET', '/reports', ven), 200);
    check('searchReportsByReportID', await t.call('GET', `/reports/${report.id}`, ven), 200);
    check(
      'updateReport',
      await t.call('PUT', `/reports/${report.id}`, ven, { ...reportBody, reportName: 'r2' }),
      200,
    );

    const subBody = {
      clientName: 'ven-1',
      programID: program.id,
      objectOperations: [
        {
          objects: ['EVENT'],
          operations: ['POST', 'PUT'],
          callbackUrl: 'http://127.0.0.1:9/cb',
          bearerToken: 'tok',
        },
      ],
    };
    const sub = check('createSubscription', await t.call('POST', '/subscriptions', ven, subBody), 201).body;
    assert.deepStrictEqual(sub.objectOperations[0].operations, ['CREATE', 'UPDATE'], 'HTTP verbs normalised');
    check('searchSubscriptions', await t.call('GET', '/subscriptions', ven), 200);
    check('searchSubscriptionByID', await t.call('GET', `/subscriptions/${sub.id}`, ven), 200);
    check('updateSubscription', await t.call('PUT', `/subscriptions/${sub.id}`, ven, subBody), 200);

    check('deleteSubscription', await t.call('DELETE', `/subscriptions/${sub.id}`, ven), 200);
    check('deleteReport', await t.call('DELETE', `/reports/${report.id}`, ven), 200);
    check('deleteVenResource', await t.call('DELETE', `/vens/${venObj.id}/resources/${res.id}`, ven), 200);
    check('deleteVen', await t.call('DELETE', `/vens/${venObj.id}`, ven), 200);
    check('deleteEvent', await t.call('DELETE', `/events/${event.id}`, bl), 200);
    const deleted = check('deleteProgram', await t.call('DELETE', `/programs/${program.id}`, bl), 200).body;
    assert.strictEqual(deleted.id, program.id, 'DELETE returns the deleted object');

    const all = spec.operations.map((o) => o.operationId);
    assert.strictEqual(all.length, 31);
    assert.deepStrictEqual(
      all.filter((o) => !seen.has(o)),
      [],
    );
  });

  it('answers every operation with a YAML-valid problem for a bad token, an unknown id and a bad body', async () => {
    for (const op of spec.operations) {
      if (op.operationId === 'fetchToken') continue;
      const pathWith = (id: string): string => op.path.replace(/\{\w+\}/g, id);
      const method = op.method.toUpperCase();
      const body = op.method === 'post' || op.method === 'put' ? {} : undefined;
      check(op.operationId, await t.call(method, pathWith('any-id'), 'bad.token.here', body), 403);
      if (op.pathParams.length) {
        const token = op.scopes.includes('write_reports') ? ven : bl;
        const sample = body ? { programName: 'x', venName: 'x', resourceName: 'x' } : undefined;
        // The lookup comes before body validation: an unknown id is 404 whatever the body.
        check(op.operationId, await t.call(method, pathWith('unknown-id'), token, sample), 404);
      }
      if (op.method === 'post' && op.operationId !== 'createResource') {
        const token = op.scopes.includes('write_reports') ? ven : bl;
        check(op.operationId, await t.call(method, pathWith('x'), token, { programID: 7 }), 400);
      }
    }
  });

  it('answers errors with problem bodies that validate against the YAML', async () => {
    check('searchAllPrograms', await t.call('GET', '/programs?limit=51', bl), 400);
    check('createProgram', await t.call('POST', '/programs', ven, { programName: 'x' }), 403);
    check('searchProgramByProgramId', await t.call('GET', '/programs/nope', bl), 404);
    const p = await t.call('POST', '/programs', bl, { programName: 'dup' });
    check('createProgram', await t.call('POST', '/programs', bl, { programName: 'dup' }), 409);
    check('deleteProgram', await t.call('DELETE', `/programs/${p.body.id}`, bl), 200);
  });
});

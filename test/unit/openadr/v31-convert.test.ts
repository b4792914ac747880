/** The 3.0.1 ↔ 3.1.0 mapping functions on their own: where they are exact, and the one normalisation. */
import assert from 'assert';
import {
  ANY_PROGRAM,
  bodyTo31,
  requestTo301,
  START_NOW,
  targetsTo301,
  targetsTo31,
} from '../../../src/openadr/vtn/v31/convert';
import { spec301 } from '../../support/vtn31';

const known = (schema: string): Set<string> =>
  new Set(
    Object.keys(
      (spec301.document.components as { schemas: Record<string, { properties: object }> }).schemas[schema]
        .properties,
    ),
  );

describe('3.0.1 ↔ 3.1.0 conversions', () => {
  it('maps every 3.1 target string to a (type, value) pair and back exactly', () => {
    const strings = ['group-a', 'GROUP:b', 'GROUP:c', 'urn:x:y', 'TARGET:z', ':lead', 'x', 'VEN_NAME:ven-1'];
    const pairs = targetsTo301(strings);
    assert.deepStrictEqual(pairs, [
      { type: 'TARGET', values: ['group-a'] },
      { type: 'GROUP', values: ['b', 'c'] },
      { type: 'urn', values: ['x:y'] },
      { type: 'TARGET', values: ['TARGET:z', ':lead', 'x'] },
      { type: 'VEN_NAME', values: ['ven-1'] },
    ]);
    assert.deepStrictEqual(targetsTo31(pairs), strings);
  });

  it('maps 3.0.1 valuesMap targets with string values and colon-free types back exactly', () => {
    const pairs = [
      { type: 'GROUP', values: ['a', 'b'] },
      { type: 'TARGET', values: ['plain'] },
      { type: 'VEN_NAME', values: ['v:1'] },
    ];
    assert.deepStrictEqual(targetsTo301(targetsTo31(pairs)), pairs);
    // Numbers become strings: 3.1 targets are strings.
    assert.deepStrictEqual(targetsTo31([{ type: 'ZONE', values: [7] }]), ['ZONE:7']);
    assert.strictEqual(targetsTo31(null), null);
  });

  it('program attributes ↔ 3.0.1 fields, keeping what no field can say', () => {
    const standard = {
      programName: 'p',
      attributes: [
        { type: 'PROGRAM_LONG_NAME', values: ['Long'] },
        { type: 'RETAILER_NAME', values: ['PUC'] },
        { type: 'BINDING_EVENTS', values: [true] },
        { type: 'LOCAL', values: [] },
      ],
    };
    const a = requestTo301('PROGRAM', standard, known('program'));
    assert.deepStrictEqual(a.body, {
      programName: 'p',
      programLongName: 'Long',
      retailerName: 'PUC',
      bindingEvents: true,
      localPrice: null,
    });
    assert.deepStrictEqual(a.extra, {}, 'the fields say it all');
    assert.deepStrictEqual(bodyTo31('PROGRAM', a.body, null), standard);

    const custom = {
      programName: 'p',
      attributes: [
        { type: 'COUNTRY', values: ['US'] },
        { type: 'CUSTOMER_CLASS', values: ['RES'] },
      ],
    };
    const b = requestTo301('PROGRAM', custom, known('program'));
    assert.deepStrictEqual([b.body.country, b.extra.attributes], ['US', custom.attributes]);
    assert.deepStrictEqual(bodyTo31('PROGRAM', { ...b.body, ...b.extra }, null), custom);
  });

  it('events: optional intervals and start stored as [] and 0001-01-01 ("now"), shown as absent', () => {
    const req = { programID: 'p1', intervalPeriod: { duration: 'PT1H' }, duration: 'PT2H' };
    const { body, extra } = requestTo301('EVENT', req, known('event'));
    assert.deepStrictEqual(body, {
      programID: 'p1',
      intervalPeriod: { start: START_NOW, duration: 'PT1H' },
      intervals: [],
    });
    assert.deepStrictEqual(extra, { duration: 'PT2H' }, '3.1-only fields are kept beside');
    assert.deepStrictEqual(bodyTo31('EVENT', { ...body, ...extra }, null), req);
  });

  it('subscriptions without a program, reports without one, and the VTN-set clientID', () => {
    const sub = requestTo301(
      'SUBSCRIPTION',
      { clientName: 'c', clientID: 'spoofed', objectOperations: [] },
      known('subscription'),
    );
    assert.deepStrictEqual(sub.body, { clientName: 'c', programID: ANY_PROGRAM, objectOperations: [] });
    const shown = bodyTo31('SUBSCRIPTION', { ...sub.body, ...sub.extra }, 'ven_client');
    assert.deepStrictEqual(shown, { clientName: 'c', objectOperations: [], clientID: 'ven_client' });
    const report = bodyTo31('REPORT', { programID: 'p', eventID: 'e', clientName: 'c', resources: [] }, null);
    assert.deepStrictEqual(report, {
      eventID: 'e',
      clientName: 'c',
      resources: [],
      clientID: 'openadr3-vtn-flow',
    });
  });

  it('payload descriptors: 3.1 shows the objectType 3.0.1 implies; stored without it', () => {
    const stored = { programID: 'p', intervals: [], payloadDescriptors: [{ payloadType: 'PRICE' }] };
    const shown = bodyTo31('EVENT', stored, null);
    assert.deepStrictEqual(shown.payloadDescriptors, [
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE' },
    ]);
    assert.deepStrictEqual(requestTo301('EVENT', shown, known('event')).body.payloadDescriptors, [
      { payloadType: 'PRICE' },
    ]);
    const program = bodyTo31(
      'PROGRAM',
      { programName: 'x', payloadDescriptors: [{ payloadType: 'USAGE', readingType: 'DIRECT_READ' }] },
      null,
    );
    assert.strictEqual(
      (program.payloadDescriptors as Array<{ objectType: string }>)[0].objectType,
      'REPORT_PAYLOAD_DESCRIPTOR',
    );
  });
});

/**
 * Only a BL client grants targets. A VEN client that writes targets on its own ven or resource
 * objects (3.0.1 or 3.1.0) must not read events that BL aimed at other VENs: the targets it sends
 * are dropped, and a resource named like another VEN's resource is that name only inside its own
 * VEN client's vens.
 */
import assert from 'assert';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { caller31, type Caller } from '../../support/vtn31';

describe('VTN: only BL grants targets', () => {
  let t: TestVtn;
  let call31: Caller;
  let bl: string;
  let victim: string;
  let attacker: string;
  let programID: string;
  let victimVen: string;
  const events: Record<string, string> = {};

  const visibleTo = async (token: string, id: string): Promise<boolean> => {
    const one = await t.call('GET', `/events/${id}`, token);
    const list = await t.call('GET', `/events?programID=${programID}`, token);
    const listed = (list.body as Array<{ id: string }>).some((e) => e.id === id);
    assert.strictEqual(one.status === 200, listed, 'GET by id and the list agree');
    return listed;
  };
  const visibleTo31 = async (token: string, id: string): Promise<boolean> =>
    (await call31('GET', `/events/${id}`, token)).status === 200;

  before(async () => {
    t = await startTestVtn({
      clients: [
        { id: 'bl_client', secret: '1001', role: 'BL' },
        { id: 'victim', secret: 'v', role: 'VEN' },
        { id: 'attacker', secret: 'a', role: 'VEN' },
      ],
    });
    call31 = caller31(t);
    bl = await t.token('bl_client', '1001');
    victim = await t.token('victim', 'v');
    attacker = await t.token('attacker', 'a');
    programID = (await t.call('POST', '/programs', bl, { programName: 'care' })).body.id;
    // The victim registers; BL grants its ven the group CARE; it has a resource heater-7.
    victimVen = (await t.call('POST', '/vens', victim, { venName: 'victim-ven' })).body.id;
    const granted = await t.call('PUT', `/vens/${victimVen}`, bl, {
      venName: 'victim-ven',
      targets: [{ type: 'GROUP', values: ['CARE'] }],
    });
    assert.strictEqual(granted.status, 200, granted.text);
    await t.call('POST', `/vens/${victimVen}/resources`, victim, { resourceName: 'heater-7' });
    const make = async (name: string, targets: unknown[]): Promise<void> => {
      const r = await t.call('POST', '/events', bl, { programID, eventName: name, targets, intervals: [] });
      assert.strictEqual(r.status, 201, r.text);
      events[name] = r.body.id;
    };
    await make('care-group', [{ type: 'GROUP', values: ['CARE'] }]);
    await make('victim-by-name', [{ type: 'VEN_NAME', values: ['victim-ven'] }]);
    await make('victim-heater', [
      { type: 'VEN_NAME', values: ['victim-ven'] },
      { type: 'RESOURCE_NAME', values: ['heater-7'] },
    ]);
  });
  after(async () => t.close());

  it('the victim sees what BL aimed at it', async () => {
    for (const name of ['care-group', 'victim-by-name', 'victim-heater'])
      assert.strictEqual(await visibleTo(victim, events[name]), true, name);
  });

  it('3.0.1: targets a VEN writes on its ven (POST and PUT) are dropped and grant nothing', async () => {
    const own = await t.call('POST', '/vens', attacker, {
      venName: 'evil',
      targets: [
        { type: 'GROUP', values: ['CARE'] },
        { type: 'VEN_NAME', values: ['victim-ven'] },
      ],
    });
    assert.strictEqual(own.status, 201, own.text);
    assert.strictEqual(own.body.targets, undefined, 'a VEN-created ven has no targets');
    const put = await t.call('PUT', `/vens/${own.body.id}`, attacker, {
      venName: 'evil',
      targets: [{ type: 'GROUP', values: ['CARE'] }],
    });
    assert.strictEqual(put.status, 200, put.text);
    assert.strictEqual(put.body.targets, undefined);
    for (const name of ['care-group', 'victim-by-name', 'victim-heater'])
      assert.strictEqual(await visibleTo(attacker, events[name]), false, name);
  });

  it('3.0.1: targets a VEN writes on a resource are dropped; its heater-7 is not the victim’s', async () => {
    const ven = (await t.call('GET', '/vens?venName=evil', attacker)).body[0].id;
    const r = await t.call('POST', `/vens/${ven}/resources`, attacker, {
      resourceName: 'heater-7',
      targets: [{ type: 'GROUP', values: ['CARE'] }],
    });
    assert.strictEqual(r.status, 201, r.text);
    assert.strictEqual(r.body.targets, undefined);
    for (const name of ['care-group', 'victim-heater'])
      assert.strictEqual(await visibleTo(attacker, events[name]), false, name);
    assert.strictEqual(await visibleTo(victim, events['victim-heater']), true);
  });

  it('a VEN update keeps the targets BL granted, whatever targets it sends', async () => {
    const r = await t.call('PUT', `/vens/${victimVen}`, victim, {
      venName: 'victim-ven',
      targets: [{ type: 'GROUP', values: ['EVERYONE'] }],
    });
    assert.strictEqual(r.status, 200, r.text);
    assert.deepStrictEqual(r.body.targets, [{ type: 'GROUP', values: ['CARE'] }]);
    assert.strictEqual(await visibleTo(victim, events['care-group']), true);
  });

  it('3.1.0: a VEN’s ven and resource requests grant nothing either', async () => {
    const ven = await call31('POST', '/vens', attacker, {
      objectType: 'VEN_VEN_REQUEST',
      venName: 'evil-31',
      targets: ['GROUP:CARE', 'VEN_NAME:victim-ven'],
    });
    assert.strictEqual(ven.status, 201, ven.text);
    const res = await call31('POST', '/resources', attacker, {
      objectType: 'VEN_RESOURCE_REQUEST',
      venID: ven.body.id,
      resourceName: 'heater-7',
      targets: ['GROUP:CARE', 'RESOURCE_NAME:heater-7'],
    });
    assert.strictEqual(res.status, 201, res.text);
    for (const name of ['care-group', 'victim-by-name', 'victim-heater']) {
      assert.strictEqual(await visibleTo31(attacker, events[name]), false, name);
      assert.strictEqual(await visibleTo(attacker, events[name]), false, name);
    }
    assert.strictEqual(await visibleTo31(victim, events['victim-heater']), true);
  });

  it('BL still grants targets (3.0.1 resource, 3.1.0 ven)', async () => {
    const ven = (await t.call('GET', '/vens?venName=evil', attacker)).body[0];
    const res = (await t.call('GET', `/vens/${ven.id}/resources?resourceName=heater-7`, attacker)).body[0];
    const granted = await t.call('PUT', `/vens/${ven.id}/resources/${res.id}`, bl, {
      resourceName: 'heater-7',
      targets: [{ type: 'GROUP', values: ['CARE'] }],
    });
    assert.strictEqual(granted.status, 200, granted.text);
    assert.strictEqual(await visibleTo(attacker, events['care-group']), true);
    assert.strictEqual(await visibleTo(attacker, events['victim-heater']), false);
  });
});

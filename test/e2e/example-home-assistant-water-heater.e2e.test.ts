/**
 * examples/home-assistant-water-heater.json in a real Node-RED against the real Mosquitto.
 * Home Assistant itself cannot be installed here, so the test stands in for both of its ends:
 * it reads the action messages hpwh-dispatch emits (the example's debug node, which a user
 * replaces with Home Assistant's Action node, is swapped for an MQTT output the test listens
 * to) and checks each against Home Assistant's documented water_heater action schema; and it
 * publishes the tank temperature the way Home Assistant's mqtt_statestream integration does,
 * checking that the scheduler's tank temperature option plans again from the tank energy that
 * temperature stands for (the plan's initialSoc) and a new action goes out.
 *
 * The schema, as documented at https://www.home-assistant.io/integrations/water_heater/ and
 * https://www.home-assistant.io/actions/water_heater.set_temperature/ :
 *   water_heater.set_temperature: entity_id (target), temperature (required), operation_mode (optional);
 *   water_heater.set_operation_mode: entity_id (target), operation_mode (required).
 * The message shape {action, target, data} is what node-red-contrib-home-assistant-websocket's
 * Action node takes from msg.payload
 * (https://zachowj.github.io/node-red-contrib-home-assistant-websocket/node/action.html).
 */
import assert from 'assert';
import crypto from 'crypto';
import type { MqttClient } from 'mqtt';
import { tankEnergyKwh } from '../../src';
import { connectOnce, requireBroker } from '../support/mqtt-broker';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';

const MODULE = 'node-red-contrib-openadr3-hpwh';
type FlowNode = Record<string, unknown> & { id: string; type: string };

/** Fields each documented action accepts, and which of them are required. */
const SCHEMA: Record<string, { required: string[]; optional: string[] }> = {
  'water_heater.set_temperature': { required: ['temperature'], optional: ['operation_mode'] },
  'water_heater.set_operation_mode': { required: ['operation_mode'], optional: [] },
};

function checkAction(payload: Record<string, unknown>): void {
  const schema = SCHEMA[String(payload.action)];
  assert.ok(schema, `action ${String(payload.action)} is a water_heater action`);
  assert.deepStrictEqual(Object.keys(payload).sort(), ['action', 'data', 'target']);
  const target = payload.target as { entity_id?: unknown };
  assert.match(String(target.entity_id), /^water_heater\.[a-z0-9_]+$/, 'target.entity_id');
  const data = payload.data as Record<string, unknown>;
  for (const key of schema.required) assert.ok(key in data, `data.${key} is required`);
  for (const key of Object.keys(data))
    assert.ok([...schema.required, ...schema.optional].includes(key), `data.${key} is a documented field`);
  if ('temperature' in data) {
    assert.strictEqual(typeof data.temperature, 'number');
    assert.ok((data.temperature as number) >= 40 && (data.temperature as number) <= 70, 'a °C set-point');
  }
  if ('operation_mode' in data) assert.match(String(data.operation_mode), /^[a-z_]+$/);
}

describe('e2e: examples/home-assistant-water-heater.json (Home Assistant action messages)', function () {
  this.timeout(180000);
  let red: NodeRedInstance | undefined;
  let client: MqttClient | undefined;
  const run = `t${crypto.randomBytes(5).toString('hex')}`;

  after(async () => {
    await red?.stop();
    await client?.endAsync().catch(() => undefined);
  });

  it('emits documented water_heater actions and re-plans from the reported tank temperature', async function () {
    const url = await requireBroker(this);
    const broker = new URL(url);
    red = await startNodeRed();
    const res = await red.get(`/library/examples/flows/${MODULE}/home-assistant-water-heater`);
    assert.strictEqual(res.status, 200);
    const imported = (await res.json()) as FlowNode[];
    const temperatureIn = imported.find((n) => n.type === 'mqtt in')!;
    assert.strictEqual(temperatureIn.topic, 'homeassistant/water_heater/heat_pump/current_temperature');
    // The temperature reaches the scheduler's own tank option: no formula in a function node.
    assert.ok(!imported.some((n) => n.type === 'function'), 'the example has no function node');
    const scheduler = imported.find((n) => n.type === 'hpwh-lp-scheduler')!;
    assert.strictEqual(scheduler.useTankTemp, true);

    const actions: Array<Record<string, unknown>> = [];
    const plans: Array<{ initialSoc: number }> = [];
    client = await connectOnce(url);
    client.on('message', (topic, payload) =>
      (topic.endsWith('/plan') ? plans : actions).push(JSON.parse(payload.toString())),
    );
    await client.subscribeAsync([`${run}/ha-action`, `${run}/plan`], { qos: 1 });

    const flow = imported.map((n) => {
      if (n.type === 'mqtt-broker') return { ...n, broker: broker.hostname, port: broker.port || '1883' };
      if (n.type === 'mqtt in') return { ...n, topic: `${run}/${String(n.topic)}` };
      // The stand-in for Home Assistant's Action node: the same message, out to the test.
      if (n.id === 'exhawh-action')
        return {
          id: n.id,
          type: 'mqtt out',
          z: n.z,
          topic: `${run}/ha-action`,
          qos: '1',
          retain: 'false',
          broker: 'exhawh-broker',
          wires: [],
        };
      // The scheduler's plans also go out to the test, to see the tank level each starts from.
      if (n.id === scheduler.id) return { ...n, wires: [[...(n.wires as string[][])[0], 'test-plan']] };
      return n;
    });
    flow.push({
      id: 'test-plan',
      type: 'mqtt out',
      z: scheduler.z,
      topic: `${run}/plan`,
      qos: '1',
      retain: 'false',
      broker: 'exhawh-broker',
      wires: [],
    });
    await red.deploy(flow);
    await waitFor(() => actions.length >= 1, 90000, 'the first action message').catch((err: Error) => {
      throw new Error(`${err.message}\n${red!.log().slice(-3000)}`);
    });
    checkAction(actions[0]);
    assert.deepStrictEqual((actions[0].target as { entity_id: string }).entity_id, 'water_heater.heat_pump');

    await waitFor(() => plans.length >= 1, 30000, 'the first plan');
    assert.strictEqual(
      plans[0].initialSoc,
      scheduler.initialSocKwh,
      'the first plan starts from the configured level',
    );

    // Home Assistant reports 42 °C: the scheduler re-plans from that tank energy and a new action goes out.
    const expectedSoc = tankEnergyKwh({
      volumeLiters: Number(scheduler.tankVolumeL),
      tankTempC: 42,
      inletTempC: Number(scheduler.inletTemp),
    });
    assert.ok(
      Math.abs(expectedSoc - Number(scheduler.initialSocKwh)) > 0.5,
      'the report changes the tank level',
    );
    const before = actions.length;
    const plansBefore = plans.length;
    await client.publishAsync(`${run}/homeassistant/water_heater/heat_pump/current_temperature`, '42', {
      qos: 1,
    });
    await waitFor(() => actions.length > before, 60000, 'an action after the temperature report').catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${red!.log().slice(-3000)}`);
      },
    );
    await waitFor(() => plans.length > plansBefore, 30000, 'a plan after the temperature report');
    const replanned = plans[plans.length - 1];
    assert.ok(
      Math.abs(replanned.initialSoc - expectedSoc) < 1e-6,
      `the new plan starts from ${expectedSoc} kWh (42 °C), not ${replanned.initialSoc}`,
    );
    for (const a of actions) checkAction(a);
    assert.doesNotMatch(red.log(), /\[error\]/);
  });
});

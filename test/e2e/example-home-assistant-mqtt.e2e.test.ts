/**
 * examples/home-assistant-mqtt.json against the real Mosquitto: imported through Node-RED's
 * library API and deployed with only its topic prefixes changed (unique per run, so parallel runs
 * on the shared broker never see each other). Checks the Home Assistant discovery configs
 * (retained, valid discovery JSON) and that the four sensors' states arrive with sensible values.
 */
import assert from 'assert';
import crypto from 'crypto';
import type { MqttClient } from 'mqtt';
import { BROKER_URL, connectOnce, requireBroker } from '../support/mqtt-broker';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';

const MODULE = 'node-red-contrib-openadr3-hpwh';
type FlowNode = Record<string, unknown> & { id: string; type: string };
const SENSORS = ['price', 'next_price_change', 'mode', 'tank_energy'];
const MODES = ['Shed', 'Normal', 'Load Up', 'Advanced Load Up'];

describe('e2e: examples/home-assistant-mqtt.json', function () {
  this.timeout(180000);
  let red: NodeRedInstance | undefined;
  const clients: MqttClient[] = [];
  const run = `t${crypto.randomBytes(5).toString('hex')}`;
  const discovery = `${run}/homeassistant`;
  const stateBase = `${run}/openadr3-hpwh`;
  const retainedTopics = new Set<string>();

  after(async () => {
    await red?.stop();
    // Leave nothing retained on the shared broker: an empty retained message deletes one.
    if (retainedTopics.size) {
      const c = await connectOnce(BROKER_URL).catch(() => undefined);
      if (c) {
        for (const t of retainedTopics) await c.publishAsync(t, '', { retain: true, qos: 1 });
        clients.push(c);
      }
    }
    for (const c of clients) await c.endAsync().catch(() => undefined);
  });

  it('publishes retained Home Assistant discovery configs and the four sensor states', async function () {
    const url = await requireBroker(this);
    const broker = new URL(url);
    red = await startNodeRed();
    const res = await red.get(`/library/examples/flows/${MODULE}/home-assistant-mqtt`);
    assert.strictEqual(res.status, 200);
    const imported = (await res.json()) as FlowNode[];
    const tab = imported.find((n) => n.type === 'tab')!;
    const env = tab.env as Array<{ name: string; value: string }>;
    assert.deepStrictEqual(
      env.map((e) => [e.name, e.value]),
      [
        ['HA_DISCOVERY_PREFIX', 'homeassistant'],
        ['HPWH_STATE_TOPIC', 'openadr3-hpwh/water-heater'],
      ],
      'the example uses Home Assistant’s default discovery prefix',
    );
    const brokerNode = imported.find((n) => n.type === 'mqtt-broker')!;
    assert.strictEqual(brokerNode.broker, '127.0.0.1');
    assert.strictEqual(brokerNode.port, '1883');

    const got = new Map<string, string[]>();
    const listener = await connectOnce(url);
    clients.push(listener);
    listener.on('message', (topic, payload) => {
      retainedTopics.add(topic);
      got.set(topic, [...(got.get(topic) ?? []), payload.toString()]);
    });
    await listener.subscribeAsync([`${discovery}/#`, `${stateBase}/#`], { qos: 1 });

    const flow = imported.map((n) => {
      if (n.type === 'tab')
        return {
          ...n,
          env: [
            { name: 'HA_DISCOVERY_PREFIX', value: discovery, type: 'str' },
            { name: 'HPWH_STATE_TOPIC', value: stateBase, type: 'str' },
          ],
        };
      if (n.type === 'mqtt-broker') return { ...n, broker: broker.hostname, port: broker.port || '1883' };
      return n;
    });
    await red.deploy(flow);

    const configTopic = (key: string) => `${discovery}/sensor/openadr3_hpwh/${key}/config`;
    const stateTopic = (key: string) => `${stateBase}/${key}`;
    await waitFor(
      () => SENSORS.every((k) => got.has(configTopic(k)) && got.has(stateTopic(k))),
      90000,
      `discovery configs and states (so far: ${[...got.keys()].join(', ')})`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${[...got.keys()].join('\n')}\n${red!.log().slice(-3000)}`);
    });

    // Discovery: valid JSON with what Home Assistant needs, all on one device, unique ids.
    const configs = SENSORS.map(
      (k) => JSON.parse(got.get(configTopic(k))!.at(-1)!) as Record<string, unknown>,
    );
    const ids = new Set<unknown>();
    configs.forEach((c, i) => {
      const key = SENSORS[i];
      assert.strictEqual(typeof c.name, 'string', `${key}: name`);
      assert.ok((c.name as string).length > 0);
      assert.strictEqual(typeof c.unique_id, 'string', `${key}: unique_id`);
      ids.add(c.unique_id);
      assert.strictEqual(c.state_topic, stateTopic(key), `${key}: state_topic`);
      const device = c.device as { identifiers?: unknown[]; name?: unknown };
      assert.ok(
        Array.isArray(device.identifiers) && device.identifiers.length > 0,
        `${key}: device.identifiers`,
      );
      assert.strictEqual(typeof device.name, 'string', `${key}: device.name`);
      assert.deepStrictEqual(device, configs[0].device, 'one device for all sensors');
    });
    assert.strictEqual(ids.size, SENSORS.length, 'unique_ids are unique');
    assert.strictEqual(configs[0].unit_of_measurement, 'USD/kWh');
    assert.strictEqual(configs[1].device_class, 'timestamp');
    assert.strictEqual(configs[1].unit_of_measurement, undefined);
    assert.strictEqual(configs[2].device_class, 'enum');
    assert.deepStrictEqual(configs[2].options, MODES);
    assert.strictEqual(configs[3].unit_of_measurement, 'kWh');
    assert.strictEqual(configs[3].device_class, 'energy_storage');

    // States with sensible values.
    const last = (key: string) => got.get(stateTopic(key))!.at(-1)!;
    const price = Number(last('price'));
    assert.ok(Number.isFinite(price) && price >= -1 && price <= 2, `price ${last('price')}`);
    const next = last('next_price_change');
    assert.match(next, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'an ISO timestamp Home Assistant reads');
    assert.ok(Date.parse(next) > Date.now() - 3600000, `next change ${next} is not in the past`);
    assert.ok(MODES.includes(last('mode')), `mode ${last('mode')}`);
    const tank = Number(last('tank_energy'));
    assert.ok(Number.isFinite(tank) && tank >= 0 && tank <= 12, `tank energy ${last('tank_energy')} kWh`);

    // Retained: a client that subscribes later still gets the configs (how HA finds them after a restart).
    const late = await connectOnce(url);
    clients.push(late);
    const retained = new Map<string, boolean>();
    late.on('message', (topic, _payload, packet) => retained.set(topic, packet.retain));
    await late.subscribeAsync(`${discovery}/#`, { qos: 1 });
    await waitFor(() => SENSORS.every((k) => retained.has(configTopic(k))), 10000, 'retained configs');
    for (const k of SENSORS) assert.strictEqual(retained.get(configTopic(k)), true, `${k} config retained`);

    assert.doesNotMatch(red.log(), /\[error\]/, red.log());
  });
});

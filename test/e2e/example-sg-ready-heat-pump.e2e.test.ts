/**
 * examples/sg-ready-heat-pump.json as a user imports it, in a real Node-RED, against the real
 * Mosquitto (a subscriber checks the two Shelly-style relay messages) and a real Modbus TCP
 * server (the relay pair on coils 0 and 1). Only the relay topic prefixes (unique per run) and
 * the Modbus port are changed. Prices come from the bundled sample, the LP scheduler plans, and
 * hpwh-dispatch sends the SG-Ready state due now to both.
 */
import assert from 'assert';
import crypto from 'crypto';
import type { MqttClient } from 'mqtt';
import { connectOnce, requireBroker } from '../support/mqtt-broker';
import { exampleBank, RunningDevice, startTcpDevice } from '../support/modbus-device';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';

const MODULE = 'node-red-contrib-openadr3-hpwh';
type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The SG-Ready table: operating state → [relay 1, relay 2] closed. */
const STATES: Record<string, [boolean, boolean]> = {
  1: [true, false],
  2: [false, false],
  3: [false, true],
  4: [true, true],
};

describe('e2e: examples/sg-ready-heat-pump.json (Mosquitto relays and Modbus coils)', function () {
  this.timeout(180000);
  let red: NodeRedInstance | undefined;
  let device: RunningDevice | undefined;
  let client: MqttClient | undefined;
  const run = `t${crypto.randomBytes(5).toString('hex')}`;
  const relayTopic = (n: 1 | 2) => `${run}-sg${n}/switch/0/set`;

  after(async () => {
    await red?.stop();
    await device?.close();
    if (client) {
      // The relay messages are retained (a relay that restarts gets its state back): clear them.
      for (const n of [1, 2] as const) await client.publishAsync(relayTopic(n), '', { retain: true, qos: 1 });
      await client.endAsync().catch(() => undefined);
    }
  });

  it('switches the relay pair on MQTT and the same pair on Modbus coils to one SG-Ready state', async function () {
    const url = await requireBroker(this);
    const broker = new URL(url);
    const bank = exampleBank();
    bank.coils.set(1, false);
    device = await startTcpDevice(bank);
    red = await startNodeRed();
    const res = await red.get(`/library/examples/flows/${MODULE}/sg-ready-heat-pump`);
    assert.strictEqual(res.status, 200);
    const imported = (await res.json()) as FlowNode[];
    const dispatch = imported.find((n) => n.type === 'hpwh-dispatch')!;
    assert.strictEqual(dispatch.shape, 'sg-ready');
    assert.deepStrictEqual([dispatch.maxLockMinutes, dispatch.minReleaseMinutes], [120, 60]);

    const relays = new Map<string, string[]>();
    client = await connectOnce(url);
    client.on('message', (topic, payload) =>
      relays.set(topic, [...(relays.get(topic) ?? []), payload.toString()]),
    );
    await client.subscribeAsync([relayTopic(1), relayTopic(2)], { qos: 1 });

    const flow = imported.map((n) => {
      if (n.type === 'tab')
        return {
          ...n,
          env: [
            { name: 'SG_RELAY1_PREFIX', value: `${run}-sg1`, type: 'str' },
            { name: 'SG_RELAY2_PREFIX', value: `${run}-sg2`, type: 'str' },
          ],
        };
      if (n.type === 'mqtt-broker') return { ...n, broker: broker.hostname, port: broker.port || '1883' };
      if (n.type === 'hpwh-modbus-out') return { ...n, port: device!.port, reconnectSeconds: 0.5 };
      return n;
    });
    await red.deploy(flow);

    const coilWrites = () => bank.writes.filter((w) => w.kind === 'coil');
    await waitFor(
      () => relays.has(relayTopic(1)) && relays.has(relayTopic(2)) && coilWrites().length >= 2,
      90000,
      'relay messages on both topics and two coil writes',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nrelays: ${JSON.stringify([...relays])}\n${red!.log().slice(-3000)}`);
    });

    const relay1 = relays.get(relayTopic(1))!.at(-1);
    const relay2 = relays.get(relayTopic(2))!.at(-1);
    assert.ok(['on', 'off'].includes(relay1!) && ['on', 'off'].includes(relay2!), `${relay1} ${relay2}`);
    const pair: [boolean, boolean] = [relay1 === 'on', relay2 === 'on'];
    const state = Object.keys(STATES).find((s) => STATES[s][0] === pair[0] && STATES[s][1] === pair[1]);
    assert.ok(state, `relays ${pair} are an SG-Ready state`);
    // The Modbus I/O module holds the same pair as the MQTT relays.
    await waitFor(
      () => bank.coils.get(0) === pair[0] && bank.coils.get(1) === pair[1],
      10000,
      'coils = relays',
    );
    assert.deepStrictEqual(
      coilWrites()
        .slice(-2)
        .map((w) => w.address)
        .sort(),
      [0, 1],
    );
    assert.doesNotMatch(red.log(), /\[error\]/);
  });
});

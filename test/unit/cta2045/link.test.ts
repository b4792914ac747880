import assert from 'assert';
import {
  appAck,
  Basic,
  endShed,
  maxPayloadQuery,
  maxPayloadResponse,
  messageTypeSupportedQuery,
  shed,
  toHex,
} from '../../../src/cta2045/codec';
import { LinkEndpoint, WireEvent } from '../../../src/cta2045/link';
import { Cta2045Ucm } from '../../../src/cta2045/ucm';
import { createTransportPair } from '../../../src/cta2045/transport';
import { WaterHeaterSimulator, UnsupportedReaction } from '../../../src/cta2045/simulator/water-heater';
import { FAST, RawPeer, delay, until } from './helpers';

describe('cta2045 link layer and UCM', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  async function ucmAndSim(opts: ConstructorParameters<typeof WaterHeaterSimulator>[0] = {}, fast = true) {
    const [a, b] = createTransportPair();
    await a.open();
    await b.open();
    const sim = new WaterHeaterSimulator({ timing: fast ? FAST : undefined, ...opts });
    const simWire: WireEvent[] = [];
    sim.attach(b).on('wire', (w: WireEvent) => simWire.push(w));
    const ucm = new Cta2045Ucm(a, { timing: fast ? FAST : undefined });
    const wire: WireEvent[] = [];
    ucm.endpoint.on('wire', (w: WireEvent) => wire.push(w));
    cleanup.push(() => {
      ucm.close();
      sim.detach();
    });
    return { ucm, sim, wire, simWire, a, b };
  }

  it('runs a Shed transaction with the real protocol timing: frame, ACK, App ACK, our ACK after 40 ms', async () => {
    const { ucm, wire, simWire } = await ucmAndSim({}, false);
    const r = await ucm.shed(3600);
    assert.strictEqual(r.outcome, 'acked');
    assert.strictEqual(r.frame, '08 01 00 02 01 2B B5 68');
    assert.strictEqual(r.durationSeconds, 3698);
    await until(() => wire.length >= 4, 2000, 'our link ACK');
    assert.deepStrictEqual(
      wire.map((w) => `${w.direction} ${toHex(w.bytes)}`),
      ['tx 08 01 00 02 01 2B B5 68', 'rx 06 00', 'rx 08 01 00 02 03 01 04 42', 'tx 06 00'],
    );
    // Each spacing is measured at the end that keeps it, from its own timestamps: delivery
    // through the event loop can lag under CPU load and shorten a gap seen from the other end.
    const [, ack, response, ourAck] = wire.map((w) => w.at);
    const sgd = simWire.slice(0, 3).map((w) => `${w.direction} ${toHex(w.bytes)}`);
    assert.deepStrictEqual(sgd, ['rx 08 01 00 02 01 2B B5 68', 'tx 06 00', 'tx 08 01 00 02 03 01 04 42']);
    const [sgdGot, sgdAck, sgdResponse] = simWire.map((w) => w.at);
    assert.ok(sgdAck - sgdGot >= 38, `SGD ACK after tMA (${sgdAck - sgdGot} ms)`);
    assert.ok(sgdResponse - sgdAck >= 98, `application response after tAR (${sgdResponse - sgdAck} ms)`);
    assert.ok(response >= ack, 'the UCM saw the ACK first');
    assert.ok(
      ourAck - response >= 38 && ourAck - response < 1000,
      `our ACK after 40 ms (${ourAck - response} ms)`,
    );
    const second = await ucm.endShed();
    assert.strictEqual(second.outcome, 'acked');
    const next = wire.find((w, i) => i > 3 && w.direction === 'tx' && toHex(w.bytes) === toHex(endShed()))!;
    assert.ok(next.at - ourAck >= 98, `>= 100 ms idle before the next message (${next.at - ourAck} ms)`);
  });

  it('retries up to 3 tries 500 ms apart when the link ACK does not come, then reports link-timeout', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ep = new LinkEndpoint(peer.ucmSide, () => ({ link: 'silent' }));
    cleanup.push(() => ep.shutdown());
    // Measure when the frames were written, not when the peer saw them: delivery can lag under
    // CPU load and would shorten an apparent gap; timers can only fire late.
    const writes: number[] = [];
    ep.on('wire', (w: WireEvent) => {
      if (w.direction === 'tx') writes.push(w.at);
    });
    const t0 = Date.now();
    const r = await ep.send(shed(60));
    assert.strictEqual(r.outcome, 'link-timeout');
    assert.strictEqual(r.attempts, 3);
    await until(() => peer.received.length === 3, 2000, 'three frames at the peer');
    assert.strictEqual(writes.length, 3);
    const gaps = [writes[1] - writes[0], writes[2] - writes[1]];
    for (const g of gaps) assert.ok(g >= 690 && g < 2500, `200 ms wait + 500 ms pause, got ${g}`);
    assert.ok(Date.now() - t0 >= 3 * 200 + 2 * 500 - 20);
  });

  it('succeeds on the second try after a checksum NAK, and stops at once on NAK 06', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ep = new LinkEndpoint(peer.ucmSide, () => ({ link: 'silent' }), { timing: FAST });
    cleanup.push(() => ep.shutdown());
    let n = 0;
    peer.onData = () => peer.send(++n === 1 ? '15 03' : '06 00');
    const r = await ep.send(shed(60));
    assert.strictEqual(r.outcome, 'link-acked');
    assert.strictEqual(r.attempts, 2);
    peer.onData = () => peer.send('15 06');
    const r2 = await ep.send(messageTypeSupportedQuery([0x08, 0x04]));
    assert.strictEqual(r2.outcome, 'link-nak');
    assert.strictEqual(r2.nakReason, 6);
    assert.strictEqual(r2.attempts, 1);
  });

  it('reports response-timeout when the SGD ACKs but never answers', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ucm = new Cta2045Ucm(peer.ucmSide, { timing: FAST });
    cleanup.push(() => ucm.close());
    peer.onData = (hex) => {
      if (hex !== '06 00') peer.send('06 00');
    };
    const r = await ucm.shed(60);
    assert.strictEqual(r.outcome, 'timeout');
    assert.match(r.reason!, /no application response/);
  });

  it('crossing requests: each end answers the other while it awaits its own response', async () => {
    // Both ends send a request at once (an SGD that reboots mid-Shed asks its start-up
    // question). Each owes the other a reply; a reply queued behind the pending request would
    // stall both ends until the response timeout. The timeout here is long, so only a stall
    // makes this fail; a timer slipping under CPU load cannot.
    const [a, b] = createTransportPair();
    await a.open();
    await b.open();
    const timing = { ...FAST, responseTimeoutMs: 10_000 };
    const ucm = new Cta2045Ucm(a, { timing });
    const sgd = new LinkEndpoint(
      b,
      (msg) =>
        msg.kind === 'basic' && msg.opcode1 === Basic.Shed
          ? { link: 'ack', reply: appAck(Basic.Shed) }
          : { link: 'ack' },
      { timing },
    );
    cleanup.push(() => {
      ucm.close();
      sgd.shutdown();
    });
    const t0 = Date.now();
    const [shedResult, query] = await Promise.all([
      ucm.shed(600),
      sgd.send(maxPayloadQuery(), (m) => m.kind === 'datalink' && m.opcode1 === 0x19),
    ]);
    assert.strictEqual(shedResult.outcome, 'acked', JSON.stringify(shedResult));
    assert.strictEqual(query.outcome, 'response');
    assert.strictEqual(toHex(query.responseBytes!), toHex(maxPayloadResponse(0x0d)));
    assert.ok(Date.now() - t0 < 5000, `no stall (${Date.now() - t0} ms)`);
    assert.strictEqual(ucm.endpoint.state, 'idle');
    assert.strictEqual(sgd.state, 'idle');
  });

  it('a late App ACK for an earlier command is not taken as the answer to the current one', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ucm = new Cta2045Ucm(peer.ucmSide, { timing: { ...FAST, responseTimeoutMs: 10_000 } });
    cleanup.push(() => ucm.close());
    const lateForEndShed = toHex(appAck(Basic.EndShed));
    peer.onData = (hex) => {
      if (hex !== toHex(shed(60))) return;
      peer.send('06 00');
      // The App ACK for an End Shed that timed out earlier arrives first, then Shed's own.
      setTimeout(() => peer.send(lateForEndShed), 10);
      setTimeout(() => peer.send(toHex(appAck(Basic.Shed))), 60);
    };
    const r = await ucm.shed(60);
    assert.strictEqual(r.outcome, 'acked', JSON.stringify(r));
    // Both App ACKs got their link ACK (the late one as an ordinary message).
    await until(() => peer.hexes().filter((h) => h === '06 00').length >= 2, 2000, 'two link ACKs');
  });

  it('answers what the SGD sends on its own', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ucm = new Cta2045Ucm(peer.ucmSide, { timing: FAST });
    cleanup.push(() => ucm.close());
    const states: number[] = [];
    const overrides: boolean[] = [];
    const restarts: string[] = [];
    ucm.on('operational-state', (c: number) => states.push(c));
    ucm.on('customer-override', (o: boolean) => overrides.push(o));
    ucm.on('sgd-restart', (w: string) => restarts.push(w));
    const exchange = async (hex: string, count: number): Promise<string[]> => {
      const before = peer.received.length;
      peer.send(hex);
      await until(() => peer.received.length >= before + count, 2000, `${count} answers to ${hex}`);
      // Acknowledge any application reply like an SGD would.
      const got = peer.hexes().slice(before);
      if (got.length > 1) peer.send('06 00');
      await delay(30);
      return got;
    };
    assert.deepStrictEqual(await exchange('08 01 00 02 13 02 D1 63', 2), [
      '06 00',
      '08 01 00 02 03 13 DF 54',
    ]);
    assert.deepStrictEqual(await exchange('08 01 00 02 11 01 D9 5E', 2), [
      '06 00',
      '08 01 00 02 03 11 E3 52',
    ]);
    assert.deepStrictEqual(await exchange('08 04 00 00 72 D6', 1), ['15 06']);
    assert.deepStrictEqual(await exchange('08 02 00 00 7A D0', 1), ['06 00']);
    assert.deepStrictEqual(await exchange('08 03 00 02 18 00 BA 75', 2), [
      '06 00',
      '08 03 00 02 19 0D 9D 84',
    ]);
    const utc = await exchange('08 02 00 02 02 00 03 44', 2);
    assert.strictEqual(utc[0], '06 00');
    assert.match(utc[1], /^08 02 00 09 02 80 00 /);
    assert.deepStrictEqual(states, [2]);
    assert.deepStrictEqual(overrides, [true]);
    assert.deepStrictEqual(restarts, ['type-support query', 'max payload query']);
  });

  it('NAKs a bad checksum (15 03), an unknown type (15 06) and a truncated frame after 500 ms (15 05)', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ucm = new Cta2045Ucm(peer.ucmSide);
    cleanup.push(() => ucm.close());
    peer.send('08 01 00 02 01 2B B5 69');
    await until(() => peer.received.length === 1, 1000, 'NAK');
    assert.strictEqual(peer.received[0].hex, '15 03');
    peer.send('08 32 00 02 01 01 E2 34');
    await until(() => peer.received.length === 2, 1000, 'NAK');
    assert.strictEqual(peer.received[1].hex, '15 06');
    const t0 = Date.now();
    peer.send('08 01 00 02 01');
    await until(() => peer.received.length === 3, 2000, 'NAK');
    assert.strictEqual(peer.received[2].hex, '15 05');
    assert.ok(peer.received[2].at - t0 >= 530, `after tML + tMA, got ${peer.received[2].at - t0}`);
  });

  it('never writes to a closed port: the send ends as closed and nothing goes out later', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ep = new LinkEndpoint(peer.ucmSide, () => ({ link: 'ack' }), { timing: FAST });
    peer.ucmSide.disconnect();
    const r = await ep.send(shed(600));
    assert.strictEqual(r.outcome, 'closed');
    await delay(50);
    assert.deepStrictEqual(peer.received, []);
    assert.strictEqual(ep.state, 'closed');
  });

  it('discards its own echo when the RS-485 adapter echoes transmitted bytes', async () => {
    const peer = new RawPeer();
    await peer.open();
    const ucm = new Cta2045Ucm(peer.ucmSide, { timing: FAST, echoSuppression: true });
    cleanup.push(() => ucm.close());
    // The half-duplex bus: everything the UCM sends comes back to it, split oddly.
    peer.onData = (hex) => {
      const bytes = hex.split(' ');
      peer.send(bytes.slice(0, 3).join(' '));
      if (bytes.length > 3) peer.send(bytes.slice(3).join(' '));
      if (hex === '08 01 00 02 01 2B B5 68') {
        setTimeout(() => peer.send('06 00'), 5);
        setTimeout(() => peer.send('08 01 00 02 03 01 04 42'), 20);
      }
    };
    const r = await ucm.shed(3600);
    assert.strictEqual(r.outcome, 'acked');
    assert.strictEqual(r.attempts, 1);
  });

  it('handshake reads max payload, device info and ALU capability from the simulator', async () => {
    const { ucm } = await ucmAndSim();
    const hs = await ucm.handshake();
    assert.strictEqual(hs.dataLinkSupported, true);
    assert.strictEqual(hs.intermediateSupported, true);
    assert.strictEqual(hs.sgdMaxPayload, 128);
    assert.strictEqual(hs.deviceInfo?.deviceType, 3);
    assert.strictEqual(hs.advancedLoadUpSupported, true);
    const state = await ucm.queryOperationalState();
    assert.ok(state && [0, 1].includes(state.code));
    const reading = await ucm.commodityRead();
    assert.ok(reading && reading.capacityWh! > 9000 && reading.capacityWh! < 9300);
  });

  for (const variant of [
    'link-nak-06',
    'link-nak-07',
    'app-nak-01',
    'intermediate-rc-01',
    'silent',
  ] as UnsupportedReaction[]) {
    it(`ends unsupported requests cleanly when the SGD reacts with ${variant}`, async () => {
      const { ucm, sim } = await ucmAndSim({ variants: { unsupported: variant, advancedLoadUp: false } });
      const hs = await ucm.handshake();
      assert.strictEqual(hs.advancedLoadUpSupported, false);
      const alu = await ucm.advancedLoadUp(30, 1000);
      assert.notStrictEqual(alu.outcome, 'acked');
      assert.ok(alu.reason && alu.reason.length > 5, String(alu.reason));
      const odd = await ucm.basicCommand('power-mode', 0x1f, 0);
      assert.ok(['nak', 'timeout'].includes(odd.outcome), odd.outcome);
      // The link is still usable afterwards.
      const s = await ucm.shed(900);
      assert.strictEqual(s.outcome, 'acked');
      assert.strictEqual(sim.mode, 'shed');
    });
  }

  it('customer override: the SGD App-NAKs with 0x05 and the UCM reports the reason', async () => {
    const { ucm, sim } = await ucmAndSim();
    const overrides: boolean[] = [];
    ucm.on('customer-override', (o: boolean) => overrides.push(o));
    sim.setCustomerOverride(true);
    await until(() => overrides.length === 1, 2000, 'override notice');
    await delay(50);
    const r = await ucm.shed(600);
    assert.strictEqual(r.outcome, 'nak');
    assert.match(r.reason!, /customer override/);
    assert.strictEqual(toHex(appAck(0x11)), '08 01 00 02 03 11 E3 52');
  });
});

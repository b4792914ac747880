import assert from 'assert';
import { EventEmitter } from 'events';
import { SerialPortMock } from 'serialport';
import { toHex, shed } from '../../../src/cta2045/codec';
import { SerialPortLike, SerialTransport, Transport } from '../../../src/cta2045/transport';
import { Cta2045Ucm } from '../../../src/cta2045/ucm';
import { WaterHeaterSimulator } from '../../../src/cta2045/simulator/water-heater';
import { FAST, until } from './helpers';

// The mock binding, reached through serialport itself (no import of its transitive package).
const MockBinding = SerialPortMock.binding;

type MockPort = InstanceType<typeof SerialPortMock> & {
  port?: { write: (b: Buffer) => Promise<void>; emitData: (d: Buffer) => void; recording: Buffer };
};

/**
 * The device side of a SerialPortMock: what the UCM writes arrives here; what the simulator
 * writes is emitted as data from the mock port.
 */
class MockDeviceSide extends EventEmitter implements Transport {
  readonly description = 'mock device side';
  isOpen = true;
  constructor(private readonly port: MockPort) {
    super();
    const binding = port.port!;
    const original = binding.write.bind(binding);
    binding.write = async (buf: Buffer) => {
      await original(buf);
      setImmediate(() => this.emit('data', new Uint8Array(buf)));
    };
  }
  async open(): Promise<void> {}
  async write(bytes: Uint8Array): Promise<void> {
    if (this.port.isOpen) this.port.port!.emitData(Buffer.from(bytes));
  }
  async close(): Promise<void> {
    this.isOpen = false;
  }
}

describe('cta2045 SerialTransport over SerialPortMock', () => {
  const made: MockPort[] = [];
  const createPort = (o: { path: string; baudRate: number }): SerialPortLike => {
    const p = new SerialPortMock({ ...o, autoOpen: false }) as MockPort;
    made.push(p);
    return p as unknown as SerialPortLike;
  };
  beforeEach(() => {
    MockBinding.reset();
    made.length = 0;
    MockBinding.createPort('/dev/ttyMOCK0', { record: true });
  });

  it('runs a handshake and a Shed against the simulator through a mocked serial port', async () => {
    const transport = new SerialTransport({ path: '/dev/ttyMOCK0', createPort });
    await transport.open();
    assert.strictEqual(transport.description, '/dev/ttyMOCK0 @ 19200');
    const sim = new WaterHeaterSimulator({ timing: FAST });
    sim.attach(new MockDeviceSide(made[0]));
    const ucm = new Cta2045Ucm(transport, { timing: FAST });
    try {
      const hs = await ucm.handshake();
      assert.strictEqual(hs.deviceInfo?.model, 'SIM-HPWH-50');
      const r = await ucm.shed(3600);
      assert.strictEqual(r.outcome, 'acked');
      assert.ok(made[0].port!.recording.toString('hex').includes('08010002012bb568'));
    } finally {
      ucm.close();
      sim.detach();
      await transport.close();
    }
  });

  it('after an unplug: refuses to write, and a new port object never replays the stale command', async () => {
    const first = new SerialTransport({ path: '/dev/ttyMOCK0', createPort });
    await first.open();
    const closed: Array<Error | undefined> = [];
    first.on('close', (e?: Error) => closed.push(e));
    // The cable goes: the port closes underneath us (not through our close()).
    await new Promise<void>((r) => made[0].close(() => r()));
    await until(() => closed.length === 1, 1000, 'close event');
    assert.match(String(closed[0]?.message), /port closed/, 'an unexpected close is reported as an error');
    assert.strictEqual(first.isOpen, false);
    await assert.rejects(first.write(shed(3600)), /port is not open, not writing/);
    const ucm = new Cta2045Ucm(first, { timing: FAST });
    const r = await ucm.shed(3600);
    assert.strictEqual(r.outcome, 'link-down');
    await assert.rejects(first.open(), /a transport opens once/);

    const second = new SerialTransport({ path: '/dev/ttyMOCK0', createPort });
    await second.open();
    assert.notStrictEqual(made[1], made[0], 'a new port object');
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(made[1].port!.recording.length, 0, 'nothing written on reopen');
    assert.strictEqual(toHex(made[0].port?.recording ?? Buffer.alloc(0)), '', 'nor on the old one');
    await second.close();
  });

  it('times out a write that never drains and drops the port', async () => {
    const transport = new SerialTransport({ path: '/dev/ttyMOCK0', createPort, writeTimeoutMs: 100 });
    await transport.open();
    const binding = made[0].port!;
    binding.write = () => new Promise<void>(() => undefined); // the driver hangs
    await assert.rejects(transport.write(shed(60)), /write did not complete within 100 ms/);
    assert.strictEqual(transport.isOpen, false);
  });
});

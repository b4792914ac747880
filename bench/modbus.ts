/**
 * `npm run bench:modbus`: what our Modbus layer costs on top of the bare modbus-serial client.
 *
 * Baseline (measured in the same run, same server): raw `client.writeRegister` / `readInputRegisters`
 * round trips to a ServerTCP on 127.0.0.1 (and a ServerSerial over a socat pty pair when socat is
 * installed). Ours: `heater.command()` (mode + setpoint = 2 writes, queue, result) and
 * `heater.poll()` (every state register of the EXAMPLE map, converted to telemetry).
 * Printed as time per operation and as a ratio against the same number of raw round trips.
 */
import ModbusRTU from 'modbus-serial';
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  createModbusWaterHeater,
  defaultRegisterMap,
  ModbusConnection,
  validateRegisterMap,
} from '../src/index';
import { RunningDevice, startSerialDevice, startTcpDevice } from '../test/support/modbus-device';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

async function time(label: string, rounds: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(20, rounds); i++) await fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await fn();
  const perOp = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  console.log(`  ${label.padEnd(52)} ${perOp.toFixed(3).padStart(8)} ms/op`);
  return perOp;
}

async function measure(
  name: string,
  connection: ModbusConnection,
  rawConnect: (c: ModbusRTU) => Promise<void>,
) {
  console.log(`\n${name}`);
  const raw = new ModbusRTU();
  await rawConnect(raw);
  raw.setID(1);
  raw.setTimeout(2000);
  const rawWrite = await time('baseline: raw writeRegister round trip', ROUNDS, () =>
    raw.writeRegister(100, 1),
  );
  const rawRead = await time('baseline: raw readInputRegisters(1) round trip', ROUNDS, () =>
    raw.readInputRegisters(201, 1),
  );
  await new Promise<void>((r) => raw.close(() => r()));

  const heater = createModbusWaterHeater({ connection, pollIntervalMs: 0, reassertIntervalMs: 0 });
  const up = new Promise<void>((resolve) => heater.on('link', (l: { up: boolean }) => l.up && resolve()));
  heater.start();
  await up;
  const writes = defaultRegisterMap.commands.shed!.length;
  const reads = defaultRegisterMap.state.length;
  const cmd = await time(`ours: heater.command('shed') (${writes} writes)`, ROUNDS, () =>
    heater.command('shed'),
  );
  const poll = await time(`ours: heater.poll() (${reads} registers)`, ROUNDS, () => heater.poll());
  await heater.stop();
  console.log(`  ratio command / ${writes} raw writes: ${(cmd / (writes * rawWrite)).toFixed(2)}`);
  console.log(`  ratio poll / ${reads} raw reads:     ${(poll / (reads * rawRead)).toFixed(2)}`);
}

async function main(): Promise<void> {
  console.log(`Modbus benchmark, ${ROUNDS} rounds each`);
  const validate = await time('validateRegisterMap(EXAMPLE map)', 20000, async () =>
    validateRegisterMap(defaultRegisterMap),
  );
  console.log(`  → ${Math.round(1 / validate).toLocaleString('en')} maps/ms`);

  let device: RunningDevice = await startTcpDevice();
  const port = device.port!;
  await measure(
    'Modbus TCP, ServerTCP on 127.0.0.1',
    { transport: 'tcp', host: '127.0.0.1', port, unitId: 1 },
    (c) => c.connectTCP('127.0.0.1', { port }),
  );
  await device.close();

  if (spawnSync('sh', ['-c', 'command -v socat']).status !== 0) {
    console.log('\nModbus RTU: skipped (socat not installed)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-modbus-'));
  const [a, b] = [path.join(dir, 'ucm'), path.join(dir, 'device')];
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 5000;
    while (!(fs.existsSync(a) && fs.existsSync(b))) {
      if (Date.now() > deadline) throw new Error('socat did not create the pty pair');
      await new Promise((r) => setTimeout(r, 20));
    }
    device = await startSerialDevice(b);
    await measure(
      'Modbus RTU, ServerSerial over a socat pty pair (a pty ignores baud: no line time included)',
      { transport: 'rtu', path: a, baudRate: 19200, unitId: 1 },
      (c) => c.connectRTUBuffered(a, { baudRate: 19200 }),
    );
    await device.close();
  } finally {
    socat.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * A Modbus controller for tests: a real modbus-serial ServerTCP (127.0.0.1, free port) or
 * ServerSerial (one end of a socat pty pair) over a plain register bank, logging every write.
 * The bank starts with the EXAMPLE default map's state registers filled in.
 */
import { ServerSerial, ServerTCP } from 'modbus-serial';
import type { IServiceVector } from 'modbus-serial';
import { freePort } from './ports';

export interface WriteLogEntry {
  at: number;
  kind: 'holding' | 'coil';
  address: number;
  value: number | boolean;
}

export interface ModbusBank {
  holding: Map<number, number>;
  input: Map<number, number>;
  coils: Map<number, boolean>;
  writes: WriteLogEntry[];
  /** Answer register writes to these addresses with a Modbus exception (illegal data value). */
  rejectWrites: Set<number>;
}

export function exampleBank(): ModbusBank {
  const bank: ModbusBank = {
    holding: new Map([
      [100, 0],
      [101, 500],
      [200, 1],
    ]),
    input: new Map([
      [201, 523],
      [202, 450],
      [203, 0],
      [204, 4200], // energy stored 4200 Wh (32-bit, high word first)
      [205, 1],
      [206, 464], // energy take 65536 + 464 = 66000 Wh
      [207, 1200], // capacity 12000 Wh (scale 10)
    ]),
    coils: new Map([[0, false]]),
    writes: [],
    rejectWrites: new Set(),
  };
  return bank;
}

function vectorFor(bank: ModbusBank): IServiceVector {
  const illegal = () => Object.assign(new Error('illegal data value'), { modbusErrorCode: 0x03 });
  return {
    getHoldingRegister: (addr: number) => bank.holding.get(addr) ?? 0,
    getInputRegister: (addr: number) => bank.input.get(addr) ?? 0,
    getCoil: (addr: number) => bank.coils.get(addr) ?? false,
    getDiscreteInput: () => false,
    setRegister: (addr: number, value: number) => {
      if (bank.rejectWrites.has(addr)) throw illegal();
      bank.holding.set(addr, value);
      bank.writes.push({ at: Date.now(), kind: 'holding', address: addr, value });
    },
    setCoil: (addr: number, value: boolean) => {
      if (bank.rejectWrites.has(addr)) throw illegal();
      bank.coils.set(addr, value);
      bank.writes.push({ at: Date.now(), kind: 'coil', address: addr, value });
    },
  };
}

export interface RunningDevice {
  bank: ModbusBank;
  port?: number;
  /** Open client connections (TCP only). */
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpDevice(
  bank = exampleBank(),
  unitId = 1,
  port?: number,
): Promise<RunningDevice> {
  const listenPort = port ?? (await freePort());
  const server = new ServerTCP(vectorFor(bank), { host: '127.0.0.1', port: listenPort, unitID: unitId });
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', reject);
  });
  return {
    bank,
    port: listenPort,
    connections: () => [...server.socks.keys()].filter((s) => !s.destroyed).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const sock of server.socks.keys()) sock.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function startSerialDevice(
  path: string,
  bank = exampleBank(),
  unitId = 1,
): Promise<RunningDevice> {
  let server: ServerSerial | undefined;
  await new Promise<void>((resolve, reject) => {
    server = new ServerSerial(vectorFor(bank), {
      path,
      baudRate: 19200,
      unitID: unitId,
      openCallback: (err) => (err ? reject(err) : resolve()),
    });
    server.on('error', () => undefined);
  });
  return {
    bank,
    connections: () => 1,
    close: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        server?.close(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}

/** Holding-register writes as [address, value] pairs, the shape tests compare against. */
export function holdingWrites(bank: ModbusBank): Array<[number, number]> {
  return bank.writes.filter((w) => w.kind === 'holding').map((w) => [w.address, w.value as number]);
}

/**
 * One Modbus connection (TCP or RTU over a serial port) via modbus-serial, with the map's
 * writes and reads on top.
 *
 * Why a new ModbusRTU object on every connect: serialport queues writes made while a port is
 * closed and replays them when the same object reopens — a stale command would reach the heater.
 * A fresh client per connection, and a refusal to write when it is not open, rule that out.
 */
import ModbusRTU from 'modbus-serial';
import { EventEmitter } from 'events';
import { rawRegisterValue, RegisterWrite, StateRegister } from './register-map';

export type ModbusConnection =
  | { transport: 'tcp'; host: string; port: number; unitId: number; timeoutMs?: number }
  | { transport: 'rtu'; path: string; baudRate: number; unitId: number; timeoutMs?: number };

/** A value read from a state register: engineering value, plus the raw value. */
export interface StateReading {
  name: string;
  raw: number | boolean;
  value: number | boolean | string;
  units?: string;
}

const DEFAULT_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MIN_MS = 3000;

/** Check the connection settings; errors name the field. */
export function validateConnection(c: unknown): string[] {
  const errors: string[] = [];
  if (typeof c !== 'object' || c === null) return ['connection: must be an object'];
  const o = c as Record<string, unknown>;
  const int = (v: unknown, lo: number, hi: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(o.unitId, 0, 255))
    errors.push(`unitId: must be an integer 0..255 (got ${JSON.stringify(o.unitId)})`);
  if (o.timeoutMs !== undefined && !int(o.timeoutMs, 1, 60000)) errors.push('timeoutMs: must be 1..60000');
  if (o.transport === 'tcp') {
    if (typeof o.host !== 'string' || o.host.trim() === '') errors.push('host: required for TCP');
    if (!int(o.port, 1, 65535))
      errors.push(`port: must be an integer 1..65535 (got ${JSON.stringify(o.port)})`);
  } else if (o.transport === 'rtu') {
    if (typeof o.path !== 'string' || o.path.trim() === '')
      errors.push('path: serial port path required for RTU');
    if (!int(o.baudRate, 1, 4000000))
      errors.push(`baudRate: must be a positive integer (got ${JSON.stringify(o.baudRate)})`);
  } else {
    errors.push(`transport: must be "tcp" or "rtu" (got ${JSON.stringify(o.transport)})`);
  }
  return errors;
}

export function describeConnection(c: ModbusConnection): string {
  return c.transport === 'tcp'
    ? `tcp ${c.host}:${c.port} unit ${c.unitId}`
    : `rtu ${c.path} unit ${c.unitId}`;
}

/** Turn modbus-serial's errors into one line that says what happened. */
export function modbusErrorText(err: unknown): string {
  const e = err as { message?: string; modbusCode?: number; errno?: string };
  if (typeof e?.modbusCode === 'number') return `Modbus exception ${e.modbusCode}: ${e.message ?? ''}`.trim();
  return e?.message ?? String(err);
}

/**
 * A connection that emits 'down' once when it drops (socket or port closed, error).
 * Use `open()` once; after 'down' make a new ModbusLink.
 */
export class ModbusLink extends EventEmitter {
  private client: ModbusRTU | undefined;
  private closing = false;
  private downSent = false;

  constructor(readonly connection: ModbusConnection) {
    super();
  }

  get isOpen(): boolean {
    return !!this.client && this.client.isOpen && !this.downSent;
  }

  async open(): Promise<void> {
    const client = new ModbusRTU();
    this.client = client;
    client.on('close', () => this.markDown('connection closed'));
    client.on('error', (err: unknown) => this.markDown(modbusErrorText(err)));
    const c = this.connection;
    const timeout = c.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const opening =
      c.transport === 'tcp'
        ? client.connectTCP(c.host, { port: c.port, timeout })
        : client.connectRTUBuffered(c.path, { baudRate: c.baudRate });
    // A host that drops SYNs would leave connectTCP pending for minutes: give up in time so the
    // reconnect timer keeps its rhythm.
    const limit = Math.max(3 * timeout, CONNECT_TIMEOUT_MIN_MS);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        opening,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`connect timed out after ${limit} ms`)), limit);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    client.setID(c.unitId);
    client.setTimeout(timeout);
  }

  private markDown(reason: string): void {
    if (this.downSent || this.closing) return;
    this.downSent = true;
    this.emit('down', reason);
  }

  /** Close deliberately (no 'down' event). */
  close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    this.client = undefined;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1000);
      try {
        client.close(() => {
          clearTimeout(timer);
          resolve();
        });
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private requireOpen(): ModbusRTU {
    if (!this.client || !this.isOpen) throw new Error('Modbus link is not open');
    return this.client;
  }

  /** Write one map entry (holding register via FC6, coil via FC5). */
  async write(w: RegisterWrite): Promise<void> {
    const client = this.requireOpen();
    try {
      if (w.kind === 'coil') {
        await client.writeCoil(w.address, w.value === true);
        return;
      }
      const raw = rawRegisterValue(w.value as number, w.scale, w.signed);
      if (typeof raw === 'string') throw new Error(raw);
      await client.writeRegister(w.address, raw);
    } catch (err) {
      // A timeout on a dead TCP peer is the only sign it is gone; report the link down too.
      if (/timed out|not open/i.test(modbusErrorText(err))) this.markDown(modbusErrorText(err));
      throw err;
    }
  }

  /** Read one state register and convert it to engineering units (or its state name). */
  async read(s: StateRegister): Promise<StateReading> {
    const client = this.requireOpen();
    let raw: number | boolean;
    try {
      if (s.kind === 'coil') raw = (await client.readCoils(s.address, 1)).data[0];
      else if (s.kind === 'discrete') raw = (await client.readDiscreteInputs(s.address, 1)).data[0];
      else {
        const words = s.words ?? 1;
        const res =
          s.kind === 'holding'
            ? await client.readHoldingRegisters(s.address, words)
            : await client.readInputRegisters(s.address, words);
        raw = words === 2 ? res.buffer.readUInt32BE(0) : res.data[0];
        if (s.signed) raw = words === 2 ? res.buffer.readInt32BE(0) : res.buffer.readInt16BE(0);
      }
    } catch (err) {
      if (/timed out|not open/i.test(modbusErrorText(err))) this.markDown(modbusErrorText(err));
      throw err;
    }
    let value: number | boolean | string = raw;
    if (typeof raw === 'number') {
      if (s.states) value = s.states[String(raw)] ?? `Unknown(${raw})`;
      else if (s.scale !== undefined) value = roundScaled(raw * s.scale, s.scale);
    }
    return { name: s.name, raw, value, ...(s.units ? { units: s.units } : {}) };
  }
}

/** Avoid 52.300000000000004: keep as many decimals as the scale has. */
function roundScaled(value: number, scale: number): number {
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(Math.abs(scale)))));
  return Number(value.toFixed(decimals));
}

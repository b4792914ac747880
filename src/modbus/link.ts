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
  // NaN (a config field that was not a number) would print as null through JSON.stringify.
  const show = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v));
  if (!int(o.unitId, 0, 255)) errors.push(`unitId: must be an integer 0..255 (got ${show(o.unitId)})`);
  if (o.timeoutMs !== undefined && !int(o.timeoutMs, 1, 60000))
    errors.push(`timeoutMs: must be an integer 1..60000 (got ${show(o.timeoutMs)})`);
  if (o.transport === 'tcp') {
    if (typeof o.host !== 'string' || o.host.trim() === '') errors.push('host: required for TCP');
    if (!int(o.port, 1, 65535)) errors.push(`port: must be an integer 1..65535 (got ${show(o.port)})`);
  } else if (o.transport === 'rtu') {
    if (typeof o.path !== 'string' || o.path.trim() === '')
      errors.push('path: serial port path required for RTU');
    if (!int(o.baudRate, 1, 4000000))
      errors.push(`baudRate: must be a positive integer (got ${show(o.baudRate)})`);
  } else {
    errors.push(`transport: must be "tcp" or "rtu" (got ${show(o.transport)})`);
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

  /**
   * Read every state register, in as few requests as the map allows: registers of one kind at
   * adjacent addresses go in one request (a poll of the EXAMPLE map is 3 requests, not 7 —
   * on RS-485 every request costs a bus turnaround). Results come back in map order.
   */
  async readAll(states: StateRegister[]): Promise<StateReading[]> {
    const client = this.requireOpen();
    const byName = new Map<string, StateReading>();
    for (const span of planReads(states)) {
      let words: Buffer | undefined;
      let bits: boolean[] | undefined;
      try {
        if (span.kind === 'coil') bits = (await client.readCoils(span.address, span.count)).data;
        else if (span.kind === 'discrete')
          bits = (await client.readDiscreteInputs(span.address, span.count)).data;
        else if (span.kind === 'holding')
          words = (await client.readHoldingRegisters(span.address, span.count)).buffer;
        else words = (await client.readInputRegisters(span.address, span.count)).buffer;
      } catch (err) {
        if (/timed out|not open/i.test(modbusErrorText(err))) this.markDown(modbusErrorText(err));
        throw err;
      }
      for (const s of span.members) {
        const offset = s.address - span.address;
        let raw: number | boolean;
        if (bits) raw = bits[offset] === true;
        else {
          const at = offset * 2;
          const buf = words as Buffer;
          if ((s.words ?? 1) === 2) raw = s.signed ? buf.readInt32BE(at) : buf.readUInt32BE(at);
          else raw = s.signed ? buf.readInt16BE(at) : buf.readUInt16BE(at);
        }
        byName.set(s.name, reading(s, raw));
      }
    }
    return states.map((s) => byName.get(s.name) as StateReading);
  }
}

/** One read request covering adjacent registers of one kind. */
export interface ReadSpan {
  kind: StateRegister['kind'];
  address: number;
  count: number;
  members: StateRegister[];
}

/** The Modbus limits per request: 125 registers, 2000 bits. */
const MAX_REGISTERS = 125;
const MAX_BITS = 2000;

/** Group state registers into read requests: same kind, adjacent or overlapping addresses. */
export function planReads(states: StateRegister[]): ReadSpan[] {
  const spans: ReadSpan[] = [];
  const sorted = [...states].sort((a, b) =>
    a.kind === b.kind ? a.address - b.address : a.kind < b.kind ? -1 : 1,
  );
  for (const s of sorted) {
    const size = s.kind === 'holding' || s.kind === 'input' ? (s.words ?? 1) : 1;
    const limit = s.kind === 'holding' || s.kind === 'input' ? MAX_REGISTERS : MAX_BITS;
    const last = spans[spans.length - 1];
    const end = s.address + size;
    if (
      last &&
      last.kind === s.kind &&
      s.address <= last.address + last.count &&
      end - last.address <= limit
    ) {
      last.count = Math.max(last.count, end - last.address);
      last.members.push(s);
    } else {
      spans.push({ kind: s.kind, address: s.address, count: size, members: [s] });
    }
  }
  return spans;
}

function reading(s: StateRegister, raw: number | boolean): StateReading {
  let value: number | boolean | string = raw;
  if (typeof raw === 'number') {
    if (s.states) value = s.states[String(raw)] ?? `Unknown(${raw})`;
    else if (s.scale !== undefined) value = roundScaled(raw * s.scale, s.scale);
  }
  return { name: s.name, raw, value, ...(s.units ? { units: s.units } : {}) };
}

/** Avoid 52.300000000000004: keep as many decimals as the scale has. */
function roundScaled(value: number, scale: number): number {
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(Math.abs(scale)))));
  return Number(value.toFixed(decimals));
}

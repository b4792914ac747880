/**
 * Byte transports under the link layer: an in-process pair (the "simulated water heater") and a
 * serial port. A transport object lives for one connection: after a disconnect the owner makes a
 * new one, so nothing written while the link was down can ever be replayed (serialport queues
 * writes to a closed port and sends them when the same object reopens).
 */
import { EventEmitter } from 'events';

export interface Transport {
  readonly isOpen: boolean;
  /** Human-readable: "/dev/ttyUSB0 @ 19200" or "simulated water heater". */
  readonly description: string;
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  on(event: 'data', listener: (bytes: Uint8Array) => void): this;
  on(event: 'close', listener: (err?: Error) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: string, listener: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
}

/** One end of an in-process wire. Writes arrive at the other end asynchronously, like a UART. */
export class InProcessTransport extends EventEmitter implements Transport {
  peer: InProcessTransport | null = null;
  private opened = false;
  private disconnected = false;
  constructor(readonly description: string) {
    super();
  }
  get isOpen(): boolean {
    return this.opened && !this.disconnected;
  }
  async open(): Promise<void> {
    if (this.disconnected) throw new Error(`${this.description}: wire is disconnected`);
    this.opened = true;
  }
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new Error(`${this.description}: port is not open`);
    const peer = this.peer;
    const copy = Uint8Array.from(bytes);
    setImmediate(() => {
      if (peer && peer.isOpen && this.isOpen) peer.emit('data', copy);
    });
  }
  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    this.emit('close');
  }
  /** Pull the wire: both ends close as if the cable were unplugged. */
  disconnect(): void {
    for (const end of [this, this.peer]) {
      if (!end || end.disconnected) continue;
      end.disconnected = true;
      if (end.opened) {
        end.opened = false;
        end.emit('close', new Error('disconnected'));
      }
    }
  }
}

/** Two connected in-process ends: [ucm side, device side]. */
export function createTransportPair(
  name = 'simulated water heater',
): [InProcessTransport, InProcessTransport] {
  const a = new InProcessTransport(name);
  const b = new InProcessTransport(`${name} (device side)`);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** The part of serialport's SerialPort we use (SerialPortMock has the same shape). */
export interface SerialPortLike {
  readonly isOpen: boolean;
  open(cb: (err: Error | null) => void): void;
  write(data: Buffer, cb?: (err: Error | null | undefined) => void): boolean;
  drain(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export type SerialPortFactory = (options: { path: string; baudRate: number }) => SerialPortLike;

export interface SerialTransportOptions {
  path: string;
  baudRate?: number;
  /** A write that has not drained within this time closes the port (default 1000 ms). */
  writeTimeoutMs?: number;
  /** How to make a port object (default: serialport's SerialPort, autoOpen off). */
  createPort?: SerialPortFactory;
}

export class SerialTransport extends EventEmitter implements Transport {
  private port: SerialPortLike | null = null;
  private closing = false;
  readonly description: string;

  constructor(private readonly options: SerialTransportOptions) {
    super();
    this.description = `${options.path} @ ${options.baudRate ?? 19200}`;
  }

  get isOpen(): boolean {
    return !!this.port && this.port.isOpen && !this.closing;
  }

  async open(): Promise<void> {
    if (this.port)
      throw new Error(`${this.description}: a transport opens once; make a new one to reconnect`);
    const create =
      this.options.createPort ??
      ((o: { path: string; baudRate: number }) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { SerialPort } = require('serialport') as typeof import('serialport');
        return new SerialPort({
          ...o,
          dataBits: 8,
          parity: 'none',
          stopBits: 1,
          autoOpen: false,
        }) as unknown as SerialPortLike;
      });
    const port = create({ path: this.options.path, baudRate: this.options.baudRate ?? 19200 });
    this.port = port;
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    // Keep a data listener attached: without one a disconnect goes unnoticed until a write.
    port.on('data', ((chunk: Buffer) => this.emit('data', new Uint8Array(chunk))) as never);
    port.on('error', ((err: Error) => this.emit('error', err)) as never);
    port.on('close', ((err?: Error) => {
      const deliberate = this.closing;
      this.closing = true;
      port.removeAllListeners();
      this.emit('close', deliberate ? undefined : (err ?? new Error('port closed')));
    }) as never);
  }

  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port || !port.isOpen || this.closing) {
      return Promise.reject(new Error(`${this.description}: port is not open, not writing`));
    }
    const timeoutMs = this.options.writeTimeoutMs ?? 1000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        // A write stuck in the driver must not go out later: drop the port object.
        void this.close();
        reject(new Error(`${this.description}: write did not complete within ${timeoutMs} ms`));
      }, timeoutMs);
      // Done when the driver has taken the bytes (write callback) and flushed them (drain).
      port.write(Buffer.from(bytes), (err) => {
        if (settled) return;
        if (err) {
          settled = true;
          clearTimeout(timer);
          reject(err);
          return;
        }
        port.drain((drainErr) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (drainErr) reject(drainErr);
          else resolve();
        });
      });
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port || this.closing) return;
    this.closing = true;
    if (!port.isOpen) {
      port.removeAllListeners();
      this.emit('close');
      return;
    }
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

/** List serial ports; machines without udev (containers) make serialport reject: say so. */
export async function listSerialPorts(): Promise<{
  ports: Array<{ path: string; manufacturer?: string }>;
  error?: string;
}> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SerialPort } = require('serialport') as typeof import('serialport');
    const ports = await SerialPort.list();
    return { ports: ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer })) };
  } catch (err) {
    return { ports: [], error: `cannot list serial ports: ${(err as Error).message}` };
  }
}

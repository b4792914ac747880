/**
 * CTA-2045 benchmarks (npm run bench:cta2045):
 *  1. codec: frames encoded and frames parsed per second, against a baseline measured in the
 *     same run (allocating and filling an 8-byte array: the floor cost of producing a frame);
 *  2. command -> application-ACK latency over a real socat pty pair to the simulator CLI, with
 *     the protocol's own waits (the SGD's tMA 40 ms + tAR 100 ms) reported separately, against
 *     the same commands over the in-process transport.
 * Needs a build (dist/) for the simulator CLI and socat for part 2.
 */
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { checksumValid, fromHex, shed } from '../src/cta2045/codec';
import { DEFAULT_TIMING } from '../src/cta2045/link';
import { FrameParser } from '../src/cta2045/parser';
import { createTransportPair, SerialTransport, Transport } from '../src/cta2045/transport';
import { Cta2045Ucm } from '../src/cta2045/ucm';
import { WaterHeaterSimulator } from '../src/cta2045/simulator/water-heater';

function opsPerSecond(fn: (i: number) => unknown, ms = 700): number {
  for (let i = 0; i < 5000; i++) fn(i); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) fn(n + i);
    n += 1000;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`;
}

function codecBench(): void {
  let sink = 0;
  const baseline = opsPerSecond((i) => {
    const a = new Uint8Array(8);
    a[0] = 8;
    a[4] = i & 0xff;
    sink += a[0];
  });
  const encode = opsPerSecond((i) => (sink += shed(60 + (i % 3600))[5]));
  const validate = opsPerSecond(() => (sink += checksumValid(SHED_FRAME) ? 1 : 0));
  const stream = new Uint8Array(8 * 64);
  for (let k = 0; k < 64; k++) stream.set(SHED_FRAME, k * 8);
  const parser = new FrameParser();
  // Parse 64 frames per call, in 7-byte chunks (frames straddle chunk edges).
  const parse =
    opsPerSecond(() => {
      for (let at = 0; at < stream.length; at += 7)
        sink += parser.push(stream.subarray(at, at + 7), 0).length;
    }, 700) * 64;
  console.log('codec (per frame):');
  console.log(`  baseline 8-byte alloc+fill  ${fmt(baseline)}`);
  console.log(`  encode Shed frame           ${fmt(encode)}   ratio ${(encode / baseline).toFixed(3)}`);
  console.log(`  validate checksum           ${fmt(validate)}   ratio ${(validate / baseline).toFixed(3)}`);
  console.log(`  stream-parse (7-byte chunks) ${fmt(parse)}   ratio ${(parse / baseline).toFixed(3)}`);
  if (sink === -1) console.log(sink);
}

const SHED_FRAME = fromHex('08 01 00 02 01 2B B5 68');

function stats(values: number[]): { median: number; p95: number; min: number } {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.floor(s.length * 0.95)], min: s[0] };
}

async function latency(ucm: Cta2045Ucm, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await ucm.shed(600 + i);
    if (r.outcome !== 'acked' || r.latencyMs === undefined)
      throw new Error(`command ${i}: ${r.outcome} ${r.reason}`);
    out.push(r.latencyMs);
  }
  return out;
}

async function latencyBench(): Promise<void> {
  const N = 25;
  const protocolWait = DEFAULT_TIMING.ackDelayMs + DEFAULT_TIMING.responseDelayMs;
  // In-process baseline (same link layer, no kernel pty).
  const [a, b] = createTransportPair();
  await a.open();
  await b.open();
  const sim = new WaterHeaterSimulator();
  sim.attach(b);
  const local = new Cta2045Ucm(a);
  const base = stats(await latency(local, N));
  local.close();
  sim.detach();

  const socat = spawnSync('sh', ['-c', 'command -v socat'], { encoding: 'utf8' }).stdout.trim();
  console.log(
    `\ncommand -> application ACK (Shed, ${N} commands; protocol waits tMA+tAR = ${protocolWait} ms):`,
  );
  console.log(
    `  in-process baseline  median ${base.median} ms  p95 ${base.p95} ms  beyond protocol waits ${base.median - protocolWait} ms`,
  );
  if (!socat) {
    console.log('  pty: skipped (socat not installed)');
    return;
  }
  const cli = path.join(__dirname, '..', 'dist', 'src', 'cta2045', 'simulator', 'cli.js');
  if (!fs.existsSync(cli)) {
    console.log('  pty: skipped (run npm run build first)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cta2045-bench-'));
  const ucmPath = path.join(dir, 'ucm');
  const devPath = path.join(dir, 'dev');
  const socatProc = spawn(socat, [`pty,raw,echo=0,link=${ucmPath}`, `pty,raw,echo=0,link=${devPath}`], {
    stdio: 'ignore',
  });
  const simProc = spawn(process.execPath, [cli, '--port', devPath], { stdio: 'ignore' });
  let transport: Transport | null = null;
  let ucm: Cta2045Ucm | null = null;
  try {
    for (let i = 0; i < 100 && !(fs.existsSync(ucmPath) && fs.existsSync(devPath)); i++) await sleep(20);
    await sleep(500); // the simulator opens its end
    transport = new SerialTransport({ path: ucmPath });
    await transport.open();
    ucm = new Cta2045Ucm(transport);
    await ucm.handshake();
    const pty = stats(await latency(ucm, N));
    console.log(
      `  socat pty            median ${pty.median} ms  p95 ${pty.p95} ms  beyond protocol waits ${pty.median - protocolWait} ms  ratio ${(pty.median / base.median).toFixed(3)}`,
    );
  } finally {
    ucm?.close();
    await transport?.close();
    simProc.kill('SIGTERM');
    socatProc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function main(): Promise<void> {
  codecBench();
  await latencyBench();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * A real serial link for tests: a socat pty pair with stable symlink names (so a restarted
 * socat reappears at the same paths), and the water-heater simulator CLI on one end.
 */
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { COMMAND_NAMES } from '../../src/device/commands';
import { repoRoot } from './node-red-process';

export interface PtyPair {
  ucmPath: string;
  devicePath: string;
  dir: string;
  /** Start socat (again). */
  start(): Promise<void>;
  /** Kill socat: both ends of the "cable" go away. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

async function waitForFile(file: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > end) throw new Error(`${file} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function ptyPair(socat: string): PtyPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cta2045-pty-'));
  const ucmPath = path.join(dir, 'ucm');
  const devicePath = path.join(dir, 'device');
  let child: ChildProcess | null = null;
  const pair: PtyPair = {
    ucmPath,
    devicePath,
    dir,
    async start() {
      child = spawn(socat, [`pty,raw,echo=0,link=${ucmPath}`, `pty,raw,echo=0,link=${devicePath}`], {
        stdio: 'ignore',
      });
      await waitForFile(ucmPath, 5000);
      await waitForFile(devicePath, 5000);
    },
    async kill() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
      // socat's symlinks may outlive a SIGKILL: remove them so "gone" means gone.
      for (const f of [ucmPath, devicePath]) fs.rmSync(f, { force: true });
    },
    async stop() {
      await pair.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return pair;
}

export interface SimProcess {
  events: Array<Record<string, unknown>>;
  /** The DR commands the simulator received (mode changes), in order. */
  commands(): Array<{ at: string; command: string; durationSeconds?: number | null; extraWh?: number }>;
  stop(): Promise<void>;
  output(): string;
}

const DR_COMMANDS = new Set<string>(COMMAND_NAMES);

/** Run the built simulator CLI (`npm run sim` equivalent) on `port` with JSON output. */
export function startSimulator(port: string, args: string[] = []): SimProcess {
  const cli = path.join(repoRoot, 'dist', 'src', 'cta2045', 'simulator', 'cli.js');
  const child = spawn(process.execPath, [cli, '--port', port, '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  let text = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a JSON line
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return {
    events,
    output: () => text,
    commands: () =>
      events.filter((e) => e.event === 'command' && DR_COMMANDS.has(String(e.command))) as unknown as Array<{
        at: string;
        command: string;
        durationSeconds?: number | null;
        extraWh?: number;
      }>,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * Run the water-heater simulator on a serial device (e.g. one end of a socat pty pair):
 *
 *   npm run sim -- --port /dev/pts/5 [--baud 19200] [--scale 60] [--unsupported link-nak-07]
 *                  [--commodity7 take|stored] [--comm-timeout 300] [--no-alu] [--json]
 *                  [--start <sim epoch ms> --anchor <real epoch ms>]
 *
 * When the device goes away (socat killed, adapter unplugged) it reopens it with a new port
 * object as soon as it reappears. With --json every received command is printed as one JSON
 * line ({"event":"command",...}); otherwise as readable text.
 */
import { realClock, scaledClock } from '../clock';
import { SerialTransport } from '../transport';
import { SimulatorVariants, UnsupportedReaction, WaterHeaterSimulator } from './water-heater';

interface CliOptions {
  port: string;
  baud: number;
  scale: number;
  start?: number;
  anchor?: number;
  json: boolean;
  variants: Partial<SimulatorVariants>;
}

const REACTIONS: UnsupportedReaction[] = [
  'link-nak-06',
  'link-nak-07',
  'app-nak-01',
  'intermediate-rc-01',
  'silent',
];

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { port: '', baud: 19200, scale: 1, json: false, variants: {} };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`${flag} needs a number, got ${String(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--port':
        opts.port = argv[++i] ?? '';
        break;
      case '--baud':
        opts.baud = num(a, argv[++i]);
        break;
      case '--scale':
        opts.scale = num(a, argv[++i]);
        break;
      case '--start':
        opts.start = num(a, argv[++i]);
        break;
      case '--anchor':
        opts.anchor = num(a, argv[++i]);
        break;
      case '--unsupported': {
        const v = argv[++i] as UnsupportedReaction;
        if (!REACTIONS.includes(v)) throw new Error(`--unsupported must be one of ${REACTIONS.join(', ')}`);
        opts.variants.unsupported = v;
        break;
      }
      case '--commodity7': {
        const v = argv[++i];
        if (v !== 'take' && v !== 'stored') throw new Error('--commodity7 must be take or stored');
        opts.variants.commodity7 = v;
        break;
      }
      case '--comm-timeout':
        opts.variants.commTimeoutSeconds = num(a, argv[++i]);
        break;
      case '--no-alu':
        opts.variants.advancedLoadUp = false;
        break;
      case '--json':
        opts.json = true;
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  if (!opts.port) throw new Error('--port <serial device> is required');
  return opts;
}

export async function runCli(argv: string[]): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    console.error(`sim: ${(err as Error).message}`);
    process.exit(2);
  }
  const clock =
    opts.scale === 1 && opts.start === undefined
      ? realClock
      : scaledClock(opts.scale, opts.start, opts.anchor);
  const sim = new WaterHeaterSimulator({ clock, variants: opts.variants });
  const print = (event: string, data: Record<string, unknown>): void => {
    if (opts.json) console.log(JSON.stringify({ event, ...data }));
    else console.log(`[${new Date(clock.now()).toISOString()}] ${event} ${JSON.stringify(data)}`);
  };
  sim.on('command', (entry) => print('command', entry));
  sim.on('mode', (mode) => print('mode', { mode, at: new Date(clock.now()).toISOString() }));
  let stopping = false;
  let transport: SerialTransport | null = null;
  const open = async (): Promise<void> => {
    while (!stopping) {
      const t = new SerialTransport({ path: opts.port, baudRate: opts.baud });
      try {
        await t.open();
        transport = t;
        sim.attach(t);
        print('open', { port: opts.port });
        t.on('close', () => {
          print('closed', { port: opts.port });
          sim.detach();
          transport = null;
          if (!stopping) setTimeout(() => void open(), 200);
        });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const stop = (): void => {
    stopping = true;
    sim.detach();
    void (transport?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await open();
}

if (require.main === module) void runCli(process.argv.slice(2));

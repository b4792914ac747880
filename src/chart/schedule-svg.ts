/**
 * A picture of a water-heater schedule, like the reference implementation's plots: per interval the price, the heat
 * pump's output, the tank energy between its limits, and the CTA-2045 signal (colour-coded), with
 * total cost and savings. Plain SVG text so it works in an HTTP response, a dashboard template or
 * a file, with no chart library.
 */
import { parseIsoDateTimeTolerant } from '../time/datetime';

export interface ChartInterval {
  start: string;
  end: string;
  price: number;
  /** Heat pump thermal output in the interval, kWh. */
  control: number;
  /** Tank energy at the end of the interval, kWh. */
  soc: number;
  /** CTA-2045 signal: -1 Shed, 0 Normal, 1 Load Up, 2 Advanced Load Up. */
  signal: number;
  cost?: number;
}

export interface ChartSchedule {
  intervals: ChartInterval[];
  totalCost?: number;
  baselineCost?: number;
  savings?: number | { amount?: number; dollars?: number; percent?: number };
  converged?: boolean;
  algorithm?: string;
  /** Tank energy at the start of the first interval, kWh. */
  initialSoc?: number;
}

export interface ChartOptions {
  title?: string;
  /** Tank limits in kWh, drawn as dashed lines when given. */
  minStorage?: number;
  maxStorage?: number;
  /** Heat pump limit per interval in kWh, drawn as a dashed line when given. */
  maxInput?: number;
  /** IANA time zone for the time axis (default UTC). */
  timeZone?: string;
  width?: number;
}

export const SIGNAL_STYLE: Record<number, { label: string; colour: string }> = {
  [-1]: { label: 'Shed', colour: '#d9534f' },
  0: { label: 'Normal', colour: '#9e9e9e' },
  1: { label: 'Load Up', colour: '#8bc34a' },
  2: { label: 'Advanced Load Up', colour: '#2e7d32' },
};

const PANEL_HEIGHT = 110;
const SIGNAL_HEIGHT = 28;
const LEFT = 70;
const RIGHT = 20;
const TOP = 72;
const GAP = 26;

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

function finiteOrThrow(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${where} must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function validate(schedule: ChartSchedule): ChartInterval[] {
  if (!schedule || !Array.isArray(schedule.intervals)) {
    throw new Error('schedule.intervals must be an array (the scheduler node output)');
  }
  if (schedule.intervals.length === 0) throw new Error('schedule.intervals is empty: nothing to draw');
  return schedule.intervals.map((iv, i) => {
    const where = `schedule.intervals[${i}]`;
    if (
      parseIsoDateTimeTolerant(iv?.start) === undefined ||
      parseIsoDateTimeTolerant(iv?.end) === undefined
    ) {
      throw new Error(`${where}.start/end must be ISO 8601 date-times`);
    }
    finiteOrThrow(iv.price, `${where}.price`);
    finiteOrThrow(iv.control, `${where}.control`);
    finiteOrThrow(iv.soc, `${where}.soc`);
    if (!(iv.signal in SIGNAL_STYLE))
      throw new Error(`${where}.signal must be -1, 0, 1 or 2, got ${iv.signal}`);
    return iv;
  });
}

/** Savings in dollars and percent, from either a number or an object. */
function savingsText(schedule: ChartSchedule): string {
  const s = schedule.savings;
  let dollars: number | undefined;
  let percent: number | undefined;
  if (typeof s === 'number') dollars = s;
  else if (s && typeof s === 'object') {
    dollars = s.amount ?? s.dollars;
    percent = s.percent;
  }
  if (dollars === undefined && schedule.baselineCost !== undefined && schedule.totalCost !== undefined) {
    dollars = schedule.baselineCost - schedule.totalCost;
  }
  if (percent === undefined && dollars !== undefined && schedule.baselineCost) {
    percent = (100 * dollars) / schedule.baselineCost;
  }
  if (dollars === undefined) return '';
  return `saves $${fmt(dollars)}${percent !== undefined ? ` (${fmt(percent, 0)} %)` : ''} against no schedule`;
}

interface Panel {
  top: number;
  height: number;
  min: number;
  max: number;
}

function yOf(panel: Panel, value: number): number {
  const span = panel.max - panel.min || 1;
  return panel.top + panel.height - ((value - panel.min) / span) * panel.height;
}

function axis(panel: Panel, label: string, unit: string, x0: number, x1: number): string {
  const parts = [
    `<line x1="${x0}" y1="${panel.top + panel.height}" x2="${x1}" y2="${panel.top + panel.height}" stroke="#bbb"/>`,
    `<text x="${x0 - 8}" y="${panel.top + 4}" text-anchor="end" class="tick">${fmt(panel.max, unit === '$/kWh' ? 3 : 1)}</text>`,
    `<text x="${x0 - 8}" y="${panel.top + panel.height}" text-anchor="end" class="tick">${fmt(panel.min, unit === '$/kWh' ? 3 : 1)}</text>`,
    `<text x="${x0}" y="${panel.top - 6}" class="label">${escapeXml(label)} (${escapeXml(unit)})</text>`,
  ];
  return parts.join('');
}

/** Where everything goes: the x scale and the three panels stacked above the signal row. */
interface Layout {
  width: number;
  height: number;
  x0: number;
  x1: number;
  step: number;
  xOf: (i: number) => number;
  price: Panel;
  output: Panel;
  tank: Panel;
  signalTop: number;
  axisTop: number;
}

function layout(intervals: ChartInterval[], schedule: ChartSchedule, options: ChartOptions): Layout {
  const width = options.width ?? 960;
  const x0 = LEFT;
  const x1 = width - RIGHT;
  const step = (x1 - x0) / intervals.length;
  const prices = intervals.map((iv) => iv.price);
  // Prices vary by cents: scale the panel to their range (with a margin) so the shape shows.
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  const margin = (hi - lo) * 0.15 || Math.abs(hi) * 0.1 || 0.01;
  const price: Panel = { top: TOP, height: PANEL_HEIGHT, min: lo - margin, max: hi + margin };
  const outputs = intervals.map((iv) => iv.control);
  const output: Panel = {
    top: price.top + PANEL_HEIGHT + GAP,
    height: PANEL_HEIGHT,
    min: 0,
    max: Math.max(options.maxInput ?? 0, ...outputs, 0.001),
  };
  const socs = intervals.map((iv) => iv.soc);
  const tank: Panel = {
    top: output.top + PANEL_HEIGHT + GAP,
    height: PANEL_HEIGHT,
    min: Math.min(0, options.minStorage ?? 0, ...socs, schedule.initialSoc ?? 0),
    max: Math.max(options.maxStorage ?? 0, ...socs, schedule.initialSoc ?? 0, 0.001),
  };
  const signalTop = tank.top + PANEL_HEIGHT + GAP;
  const axisTop = signalTop + SIGNAL_HEIGHT + 16;
  const xOf = (i: number) => x0 + i * step;
  return { width, height: axisTop + 56, x0, x1, step, xOf, price, output, tank, signalTop, axisTop };
}

/** A dashed horizontal limit line across a panel. */
function limitLine(l: Layout, panel: Panel, value: number, className: string, colour: string): string {
  const y = yOf(panel, value).toFixed(1);
  return `<line class="${className}" x1="${l.x0}" y1="${y}" x2="${l.x1}" y2="${y}" stroke="${colour}" stroke-dasharray="4 3"/>`;
}

/** Price: a step line. */
function pricePart(l: Layout, intervals: ChartInterval[]): string[] {
  const path = intervals
    .map(
      (iv, i) =>
        `${i === 0 ? 'M' : 'L'}${l.xOf(i).toFixed(1)},${yOf(l.price, iv.price).toFixed(1)}H${l.xOf(i + 1).toFixed(1)}`,
    )
    .join('');
  return [
    axis(l.price, 'Price', '$/kWh', l.x0, l.x1),
    `<path id="price-line" d="${path}" fill="none" stroke="#1565c0" stroke-width="2"/>`,
  ];
}

/** Heat pump output: bars, and its limit dashed. */
function outputPart(l: Layout, intervals: ChartInterval[], maxInput: number | undefined): string[] {
  const out = [axis(l.output, 'Heat pump output', 'kWh', l.x0, l.x1)];
  intervals.forEach((iv, i) => {
    const y = yOf(l.output, iv.control);
    const h = l.output.top + l.output.height - y;
    out.push(
      `<rect class="output-bar" x="${(l.xOf(i) + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(l.step - 2, 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="#ef6c00"><title>${escapeXml(iv.start)}: ${fmt(iv.control, 3)} kWh</title></rect>`,
    );
  });
  if (maxInput !== undefined) out.push(limitLine(l, l.output, maxInput, 'limit', '#ef6c00'));
  return out;
}

/** Tank energy: a line through the boundary values, with the limits dashed. */
function tankPart(
  l: Layout,
  intervals: ChartInterval[],
  initialSoc: number | undefined,
  options: ChartOptions,
): string[] {
  // The schedule's starting level (when given), then each interval's end.
  const start =
    typeof initialSoc === 'number' && Number.isFinite(initialSoc)
      ? `M${l.xOf(0).toFixed(1)},${yOf(l.tank, initialSoc).toFixed(1)}`
      : '';
  const path =
    start +
    intervals
      .map(
        (iv, i) =>
          `${i === 0 && !start ? 'M' : 'L'}${l.xOf(i + 1).toFixed(1)},${yOf(l.tank, iv.soc).toFixed(1)}`,
      )
      .join('');
  const out = [
    axis(l.tank, 'Tank energy', 'kWh', l.x0, l.x1),
    `<path id="tank-line" d="${path}" fill="none" stroke="#6a1b9a" stroke-width="2"/>`,
  ];
  for (const [name, value] of [
    ['min', options.minStorage],
    ['max', options.maxStorage],
  ] as const) {
    if (value !== undefined) out.push(limitLine(l, l.tank, value, `limit tank-${name}`, '#6a1b9a'));
  }
  return out;
}

/** CTA-2045 signal: coloured cells. */
function signalPart(l: Layout, intervals: ChartInterval[]): string[] {
  const out = [`<text x="${l.x0}" y="${l.signalTop - 6}" class="label">CTA-2045 signal</text>`];
  intervals.forEach((iv, i) => {
    const style = SIGNAL_STYLE[iv.signal];
    out.push(
      `<rect class="signal signal-${iv.signal}" x="${l.xOf(i).toFixed(1)}" y="${l.signalTop}" width="${l.step.toFixed(1)}" height="${SIGNAL_HEIGHT}" fill="${style.colour}" stroke="#fff"><title>${escapeXml(iv.start)}: ${style.label}</title></rect>`,
    );
  });
  return out;
}

/** Time axis (a label at most every ~60 px), then the signal legend. */
function axisAndLegend(l: Layout, intervals: ChartInterval[], timeZone: string): string[] {
  const out: string[] = [];
  const fmtTime = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone });
  const every = Math.max(1, Math.ceil(60 / l.step));
  for (let i = 0; i < intervals.length; i += every) {
    const at = parseIsoDateTimeTolerant(intervals[i].start)!;
    out.push(
      `<text x="${l.xOf(i).toFixed(1)}" y="${l.axisTop}" class="tick" text-anchor="middle">${escapeXml(fmtTime.format(at))}</text>`,
    );
  }
  let lx = l.x0;
  for (const s of [-1, 0, 1, 2]) {
    const style = SIGNAL_STYLE[s];
    out.push(`<rect x="${lx}" y="${l.axisTop + 18}" width="12" height="12" fill="${style.colour}"/>`);
    out.push(`<text x="${lx + 16}" y="${l.axisTop + 28}" class="tick">${style.label}</text>`);
    lx += 40 + style.label.length * 7;
  }
  return out;
}

/** "cost $0.58 · saves $0.12 (17 %) against no schedule · lp" */
function headlineOf(schedule: ChartSchedule): string {
  return [
    schedule.totalCost !== undefined ? `cost $${fmt(schedule.totalCost)}` : '',
    savingsText(schedule),
    schedule.algorithm ? `${schedule.algorithm}` : '',
    schedule.converged === false ? 'NOT CONVERGED (fallback schedule)' : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** Render the schedule as a standalone SVG document (a string). Throws on malformed input. */
export function renderScheduleSvg(schedule: ChartSchedule, options: ChartOptions = {}): string {
  const intervals = validate(schedule);
  const l = layout(intervals, schedule, options);
  const title = options.title ?? 'Water heater schedule';
  const tz = options.timeZone ?? 'UTC';
  const { width, height, x0 } = l;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    '<style>text{font-family:system-ui,sans-serif;fill:#333}.label{font-size:13px;font-weight:600}.tick{font-size:11px}.title{font-size:17px;font-weight:700}.headline{font-size:13px}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${x0}" y="22" class="title">${escapeXml(title)}</text>`,
    `<text id="headline" x="${x0}" y="40" class="headline">${escapeXml(headlineOf(schedule))} · ${intervals.length} intervals · times ${escapeXml(tz)}</text>`,
    ...pricePart(l, intervals),
    ...outputPart(l, intervals, options.maxInput),
    ...tankPart(l, intervals, schedule.initialSoc, options),
    ...signalPart(l, intervals),
    ...axisAndLegend(l, intervals, tz),
    '</svg>',
  ].join('\n');
}

/**
 * A picture of a water-heater schedule, like the seed's plots: per interval the price, the heat
 * pump's output, the tank energy between its limits, and the CTA-2045 signal (colour-coded), with
 * total cost and savings. Plain SVG text so it works in an HTTP response, a dashboard template or
 * a file, with no chart library.
 */

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
    if (Number.isNaN(Date.parse(iv?.start)) || Number.isNaN(Date.parse(iv?.end))) {
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

/** Render the schedule as a standalone SVG document (a string). Throws on malformed input. */
export function renderScheduleSvg(schedule: ChartSchedule, options: ChartOptions = {}): string {
  const intervals = validate(schedule);
  const n = intervals.length;
  const width = options.width ?? 960;
  const x0 = LEFT;
  const x1 = width - RIGHT;
  const step = (x1 - x0) / n;
  const xOf = (i: number) => x0 + i * step;

  const prices = intervals.map((iv) => iv.price);
  // Prices vary by cents: scale the panel to their range (with a margin) so the shape shows.
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  const margin = (hi - lo) * 0.15 || Math.abs(hi) * 0.1 || 0.01;
  const pricePanel: Panel = { top: TOP, height: PANEL_HEIGHT, min: lo - margin, max: hi + margin };
  const outputs = intervals.map((iv) => iv.control);
  const outputPanel: Panel = {
    top: pricePanel.top + PANEL_HEIGHT + GAP,
    height: PANEL_HEIGHT,
    min: 0,
    max: Math.max(options.maxInput ?? 0, ...outputs, 0.001),
  };
  const socs = intervals.map((iv) => iv.soc);
  const tankPanel: Panel = {
    top: outputPanel.top + PANEL_HEIGHT + GAP,
    height: PANEL_HEIGHT,
    min: Math.min(0, options.minStorage ?? 0, ...socs, schedule.initialSoc ?? 0),
    max: Math.max(options.maxStorage ?? 0, ...socs, schedule.initialSoc ?? 0, 0.001),
  };
  const signalTop = tankPanel.top + PANEL_HEIGHT + GAP;
  const axisTop = signalTop + SIGNAL_HEIGHT + 16;
  const height = axisTop + 56;

  const body: string[] = [];
  // Price: a step line.
  body.push(axis(pricePanel, 'Price', '$/kWh', x0, x1));
  const pricePath = intervals
    .map(
      (iv, i) =>
        `${i === 0 ? 'M' : 'L'}${xOf(i).toFixed(1)},${yOf(pricePanel, iv.price).toFixed(1)}H${xOf(i + 1).toFixed(1)}`,
    )
    .join('');
  body.push(`<path id="price-line" d="${pricePath}" fill="none" stroke="#1565c0" stroke-width="2"/>`);

  // Heat pump output: bars.
  body.push(axis(outputPanel, 'Heat pump output', 'kWh', x0, x1));
  intervals.forEach((iv, i) => {
    const y = yOf(outputPanel, iv.control);
    const h = outputPanel.top + outputPanel.height - y;
    body.push(
      `<rect class="output-bar" x="${(xOf(i) + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(step - 2, 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="#ef6c00"><title>${escapeXml(iv.start)}: ${fmt(iv.control, 3)} kWh</title></rect>`,
    );
  });
  if (options.maxInput !== undefined) {
    const y = yOf(outputPanel, options.maxInput).toFixed(1);
    body.push(
      `<line class="limit" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#ef6c00" stroke-dasharray="4 3"/>`,
    );
  }

  // Tank energy: a line through the end-of-interval values, with the limits dashed.
  body.push(axis(tankPanel, 'Tank energy', 'kWh', x0, x1));
  // Tank energy at each boundary: the schedule's starting level (when given), then each interval's end.
  const start =
    typeof schedule.initialSoc === 'number' && Number.isFinite(schedule.initialSoc)
      ? `M${xOf(0).toFixed(1)},${yOf(tankPanel, schedule.initialSoc).toFixed(1)}`
      : '';
  const tankPath =
    start +
    intervals
      .map(
        (iv, i) =>
          `${i === 0 && !start ? 'M' : 'L'}${xOf(i + 1).toFixed(1)},${yOf(tankPanel, iv.soc).toFixed(1)}`,
      )
      .join('');
  body.push(`<path id="tank-line" d="${tankPath}" fill="none" stroke="#6a1b9a" stroke-width="2"/>`);
  for (const [name, value] of [
    ['min', options.minStorage],
    ['max', options.maxStorage],
  ] as const) {
    if (value === undefined) continue;
    const y = yOf(tankPanel, value).toFixed(1);
    body.push(
      `<line class="limit tank-${name}" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#6a1b9a" stroke-dasharray="4 3"/>`,
    );
  }

  // CTA-2045 signal: coloured cells.
  body.push(`<text x="${x0}" y="${signalTop - 6}" class="label">CTA-2045 signal</text>`);
  intervals.forEach((iv, i) => {
    const style = SIGNAL_STYLE[iv.signal];
    body.push(
      `<rect class="signal signal-${iv.signal}" x="${xOf(i).toFixed(1)}" y="${signalTop}" width="${step.toFixed(1)}" height="${SIGNAL_HEIGHT}" fill="${style.colour}" stroke="#fff"><title>${escapeXml(iv.start)}: ${style.label}</title></rect>`,
    );
  });

  // Time axis: a label at most every ~60 px.
  const fmtTime = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: options.timeZone ?? 'UTC',
  });
  const every = Math.max(1, Math.ceil(60 / step));
  for (let i = 0; i < n; i += every) {
    body.push(
      `<text x="${xOf(i).toFixed(1)}" y="${axisTop}" class="tick" text-anchor="middle">${escapeXml(fmtTime.format(new Date(intervals[i].start)))}</text>`,
    );
  }

  // Legend and totals.
  let lx = x0;
  for (const s of [-1, 0, 1, 2]) {
    const style = SIGNAL_STYLE[s];
    body.push(`<rect x="${lx}" y="${axisTop + 18}" width="12" height="12" fill="${style.colour}"/>`);
    body.push(`<text x="${lx + 16}" y="${axisTop + 28}" class="tick">${style.label}</text>`);
    lx += 40 + style.label.length * 7;
  }
  const headline = [
    schedule.totalCost !== undefined ? `cost $${fmt(schedule.totalCost)}` : '',
    savingsText(schedule),
    schedule.algorithm ? `${schedule.algorithm}` : '',
    schedule.converged === false ? 'NOT CONVERGED (fallback schedule)' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const title = options.title ?? 'Water heater schedule';
  const tz = options.timeZone ?? 'UTC';

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    '<style>text{font-family:system-ui,sans-serif;fill:#333}.label{font-size:13px;font-weight:600}.tick{font-size:11px}.title{font-size:17px;font-weight:700}.headline{font-size:13px}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${x0}" y="22" class="title">${escapeXml(title)}</text>`,
    `<text id="headline" x="${x0}" y="40" class="headline">${escapeXml(headline)} · ${n} intervals · times ${escapeXml(tz)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

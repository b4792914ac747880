/**
 * hpwh-chart: a schedule (the scheduler nodes' output) in, an SVG picture out; optionally served
 * as a page on Node-RED's HTTP server so a browser can watch the latest plan.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { renderScheduleSvg, ChartOptions, ChartSchedule } from '../../src/chart/schedule-svg';
import { migrateConfig } from '../shared/config-version';
import { addGetRoute, normaliseRoutePath } from '../shared/http-route';
import { handleInput } from '../shared/input';
import { statusFor } from '../shared/status';

interface ChartConfig extends NodeDef {
  configVersion?: number;
  title?: string;
  timeZone?: string;
  minStorage?: string;
  maxStorage?: string;
  maxInput?: string;
  path?: string;
}

interface ChartMessage extends NodeMessageInFlow {
  payload: ChartSchedule;
  params?: { minStorage?: number; maxStorage?: number; maxInput?: number | number[] };
}

function optionalNumber(value: string | undefined, field: string): number | undefined {
  if (value === undefined || String(value).trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${field} must be a number, got "${value}"`);
  return n;
}

function page(title: string, svg: string | undefined, svgPath: string): string {
  const body = svg
    ? `<div id="chart">${svg}</div><p><a href="${svgPath}">SVG</a> · refreshes every 30 s</p>`
    : '<p id="waiting">No schedule yet: this page shows the next one the hpwh-chart node receives.</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta http-equiv="refresh" content="30">
<title>${title.replace(/</g, '&lt;')}</title><style>body{font-family:system-ui,sans-serif;margin:24px}</style></head>
<body>${body}</body></html>`;
}

export = function (RED: NodeAPI): void {
  function HpwhChartNode(this: Node, rawConfig: ChartConfig) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const status = statusFor(node);
    let latestSvg: string | undefined;
    const removeRoutes: Array<() => void> = [];

    let config: ChartConfig;
    let baseOptions: ChartOptions;
    try {
      config = migrateConfig(rawConfig, []);
      baseOptions = {
        title: config.title || undefined,
        timeZone: config.timeZone || undefined,
        minStorage: optionalNumber(config.minStorage, 'Tank minimum'),
        maxStorage: optionalNumber(config.maxStorage, 'Tank maximum'),
        maxInput: optionalNumber(config.maxInput, 'Heat pump maximum'),
      };
      if (baseOptions.timeZone) new Intl.DateTimeFormat('en', { timeZone: baseOptions.timeZone });
      const route = normaliseRoutePath(config.path ?? '');
      if (route) {
        const svgRoute = `${route}.svg`;
        removeRoutes.push(
          addGetRoute(RED.httpNode, route, (_req, res) => {
            res.type('html').send(page(baseOptions.title ?? 'Water heater schedule', latestSvg, svgRoute));
          }),
          addGetRoute(RED.httpNode, svgRoute, (_req, res) => {
            if (!latestSvg) res.status(404).type('text').send('no schedule yet');
            else res.type('image/svg+xml').send(latestSvg);
          }),
        );
      }
      status.stopped(route ? `waiting for a schedule · ${route}` : 'waiting for a schedule');
    } catch (err) {
      status.error((err as Error).message);
      node.error((err as Error).message);
      return;
    }

    handleInput<ChartMessage>(node, (msg, send) => {
      const params = msg.params ?? {};
      const scalar = (v: number | number[] | undefined) => (Array.isArray(v) ? Math.max(...v) : v);
      const svg = renderScheduleSvg(msg.payload, {
        ...baseOptions,
        minStorage: baseOptions.minStorage ?? params.minStorage,
        maxStorage: baseOptions.maxStorage ?? params.maxStorage,
        maxInput: baseOptions.maxInput ?? scalar(params.maxInput),
      });
      latestSvg = svg;
      const n = msg.payload.intervals.length;
      status.ok(`${n} intervals · ${new Date().toISOString().slice(11, 16)} UTC`);
      send({ ...msg, payload: svg, headers: { 'content-type': 'image/svg+xml' } } as NodeMessageInFlow);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      for (const remove of removeRoutes) remove();
      done();
    });
  }

  RED.nodes.registerType('hpwh-chart', HpwhChartNode);
};

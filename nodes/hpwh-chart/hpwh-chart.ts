/**
 * hpwh-chart: a schedule (the scheduler nodes' output) in, an SVG picture out; optionally served
 * as a page on Node-RED's HTTP server so a browser can watch the latest plan.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { renderScheduleSvg, ChartOptions, ChartSchedule } from '../../src/chart/schedule-svg';
import { migrateConfig } from '../shared/config-version';
import { addGetRoute, normaliseRoutePath } from '../shared/http-route';
import type { Translate } from '../shared/i18n';
import { handleInput } from '../shared/input';
import { httpNodeOf } from '../shared/red';
import { statusFor } from '../shared/status';
import { readNumber } from '../shared/config';

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

function optionalNumber(value: string | undefined, field: string, t: Translate): number | undefined {
  return readNumber(value, undefined, {
    error: (text) => new Error(t('hpwh-chart.errors.notANumber', { field, value: text })),
  });
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function page(title: string, svg: string | undefined, svgPath: string, t: Translate): string {
  const body = svg
    ? `<div id="chart">${svg}</div><p><a href="${svgPath}">SVG</a> · ${escapeHtml(t('hpwh-chart.page.refreshes'))}</p>`
    : `<p id="waiting">${escapeHtml(t('hpwh-chart.page.waiting'))}</p>`;
  return `<!doctype html><html lang="${escapeHtml(t('hpwh-chart.page.lang'))}"><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta http-equiv="refresh" content="30">
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
      config = migrateConfig(rawConfig, [], RED._);
      baseOptions = {
        title: config.title || RED._('hpwh-chart.defaultTitle'),
        timeZone: config.timeZone || undefined,
        minStorage: optionalNumber(config.minStorage, RED._('hpwh-chart.field.minStorage'), RED._),
        maxStorage: optionalNumber(config.maxStorage, RED._('hpwh-chart.field.maxStorage'), RED._),
        maxInput: optionalNumber(config.maxInput, RED._('hpwh-chart.field.maxInput'), RED._),
      };
      if (baseOptions.timeZone) new Intl.DateTimeFormat('en', { timeZone: baseOptions.timeZone });
      const route = normaliseRoutePath(config.path ?? '', RED._);
      if (route) {
        const svgRoute = `${route}.svg`;
        removeRoutes.push(
          addGetRoute(httpNodeOf(RED), route, (_req, res) => {
            res.type('html').send(page(baseOptions.title!, latestSvg, svgRoute, RED._));
          }),
          addGetRoute(httpNodeOf(RED), svgRoute, (_req, res) => {
            if (!latestSvg) res.status(404).type('text').send(RED._('hpwh-chart.page.noSchedule'));
            else res.type('image/svg+xml').send(latestSvg);
          }),
        );
      }
      status.stopped(
        route ? RED._('hpwh-chart.status.waitingAt', { path: route }) : RED._('hpwh-chart.status.waiting'),
      );
    } catch (err) {
      status.error((err as Error).message);
      node.error((err as Error).message);
      return;
    }

    handleInput<ChartMessage>(node, RED._, (msg, send) => {
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
      status.ok(RED._('hpwh-chart.status.drawn', { count: n, time: new Date().toISOString().slice(11, 16) }));
      send({ ...msg, payload: svg, headers: { 'content-type': 'image/svg+xml' } } as NodeMessageInFlow);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      for (const remove of removeRoutes) remove();
      done();
    });
  }

  RED.nodes.registerType('hpwh-chart', HpwhChartNode);
};

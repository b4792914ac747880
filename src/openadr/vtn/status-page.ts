/**
 * A read-only, server-rendered status page at `/`: programs, events (prices as an SVG chart),
 * VENs, recent reports and subscriptions with webhook delivery state. Element ids are stable
 * for browser tests. VEN and report details need BL credentials (HTTP Basic) unless the VTN is
 * bound to loopback.
 */
import crypto from 'crypto';
import type { Request, Response } from 'express';
import type { ClientConfig } from './auth';
import type { VtnService } from './service';
import type { StoredObject } from './store/store';

function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function same(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

function isBl(req: Request, clients: ClientConfig[]): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return false;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  const id = text.slice(0, i);
  const secret = text.slice(i + 1);
  let ok = false;
  for (const c of clients) if (c.role === 'BL' && same(id, c.id) && same(secret, c.secret)) ok = true;
  return ok;
}

/** Prices of an event's intervals as a small bar chart (inline SVG, no scripts). */
export function priceChart(event: Record<string, unknown>): string {
  const intervals = Array.isArray(event.intervals) ? (event.intervals as Array<Record<string, unknown>>) : [];
  const prices = intervals.map((iv) => {
    const payloads = Array.isArray(iv.payloads) ? (iv.payloads as Array<Record<string, unknown>>) : [];
    const price = payloads.find((p) => p.type === 'PRICE');
    const v = Array.isArray(price?.values) ? Number(price.values[0]) : NaN;
    return Number.isFinite(v) ? v : 0;
  });
  if (!prices.length) return '<span class="no-prices">no PRICE intervals</span>';
  const max = Math.max(...prices, 1e-9);
  const w = 4;
  const h = 40;
  const bars = prices
    .map((p, i) => {
      const bh = Math.max(1, Math.round((p / max) * h));
      return `<rect x="${i * w}" y="${h - bh}" width="${w - 1}" height="${bh}"><title>${i}: ${p}</title></rect>`;
    })
    .join('');
  return `<svg class="price-chart" role="img" aria-label="prices, max ${esc(max)}" width="${prices.length * w}" height="${h}" viewBox="0 0 ${prices.length * w} ${h}">${bars}</svg>`;
}

export function statusPage(service: VtnService, clients: ClientConfig[], loopbackOnly: () => boolean) {
  return async (req: Request, res: Response): Promise<void> => {
    const detailed = loopbackOnly() || isBl(req, clients);
    const store = service.store;
    const list = (type: StoredObject['type']): Promise<StoredObject[]> => store.list({ type });
    const [programs, events, vens, reports, subs] = await Promise.all([
      list('PROGRAM'),
      list('EVENT'),
      list('VEN'),
      list('REPORT'),
      list('SUBSCRIPTION'),
    ]);
    const rows = (items: string[], empty: string): string =>
      items.length ? items.join('') : `<tr><td colspan="9">${empty}</td></tr>`;
    const subRows: string[] = [];
    for (const s of subs) {
      const d = await store.deliverySummary(s.id);
      const state = d.dead ? 'dead' : d.pending && d.lastError ? 'retrying' : 'ok';
      subRows.push(
        `<tr data-id="${esc(s.id)}"><td>${esc(s.body.clientName)}</td><td>${esc(s.body.programID)}</td><td class="delivery-state">${state}</td><td>${d.delivered}</td><td>${d.pending}</td><td>${d.dead}</td><td>${esc(d.lastError ?? '')}</td></tr>`,
      );
    }
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>OpenADR 3 VTN</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}.price-chart rect{fill:#3a7}</style>
</head><body>
<h1 id="title">OpenADR 3.0.1 VTN</h1>
<p id="summary"><span id="count-programs">${programs.length}</span> programs · <span id="count-events">${events.length}</span> events · <span id="count-vens">${vens.length}</span> VENs · <span id="count-reports">${reports.length}</span> reports · <span id="count-subscriptions">${subs.length}</span> subscriptions</p>
<h2>Programs</h2><table id="programs"><tr><th>programName</th><th>id</th><th>created</th></tr>
${rows(
  programs.map(
    (p) =>
      `<tr data-id="${esc(p.id)}"><td>${esc(p.body.programName)}</td><td>${esc(p.id)}</td><td>${esc(p.body.createdDateTime)}</td></tr>`,
  ),
  'none',
)}</table>
<h2>Events</h2><table id="events"><tr><th>eventName</th><th>program</th><th>start</th><th>intervals</th><th>prices</th></tr>
${rows(
  events.map((e) => {
    const period = (e.body.intervalPeriod ?? {}) as Record<string, unknown>;
    const n = Array.isArray(e.body.intervals) ? e.body.intervals.length : 0;
    return `<tr data-id="${esc(e.id)}"><td>${esc(e.body.eventName)}</td><td>${esc(e.body.programID)}</td><td>${esc(period.start)}</td><td>${n}</td><td>${priceChart(e.body)}</td></tr>`;
  }),
  'none',
)}</table>
${
  detailed
    ? `<h2>VENs</h2><table id="vens"><tr><th>venName</th><th>id</th><th>owner</th></tr>
${rows(
  vens.map(
    (v) =>
      `<tr data-id="${esc(v.id)}"><td>${esc(v.body.venName)}</td><td>${esc(v.id)}</td><td>${esc(v.owner ?? '')}</td></tr>`,
  ),
  'none',
)}</table>
<h2>Recent reports</h2><table id="reports"><tr><th>reportName</th><th>clientName</th><th>event</th><th>created</th></tr>
${rows(
  reports
    .slice(-20)
    .reverse()
    .map(
      (r) =>
        `<tr data-id="${esc(r.id)}"><td>${esc(r.body.reportName)}</td><td>${esc(r.body.clientName)}</td><td>${esc(r.body.eventID)}</td><td>${esc(r.body.createdDateTime)}</td></tr>`,
    ),
  'none',
)}</table>`
    : `<p id="sign-in">VEN and report details are shown to BL clients: <a id="sign-in-link" href="?signin=1">sign in</a>.</p>`
}
<h2>Subscriptions</h2><table id="subscriptions"><tr><th>clientName</th><th>programID</th><th>delivery</th><th>delivered</th><th>pending</th><th>dead</th><th>last error</th></tr>
${rows(subRows, 'none')}</table>
</body></html>`;
    if (req.query.signin !== undefined && !detailed) {
      res.setHeader('WWW-Authenticate', 'Basic realm="openadr3-vtn status"');
      res.status(401);
    }
    res.type('html').setHeader('Cache-Control', 'no-store');
    res.send(html);
  };
}

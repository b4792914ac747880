/**
 * A read-only, server-rendered status page at `/`: programs, events (prices as an SVG chart),
 * VENs, reports and subscriptions with webhook delivery state. Element ids are stable for browser
 * tests.
 *
 * Who sees what: on a VTN bound to loopback (and not behind a proxy) everyone on this machine sees
 * everything. Otherwise an anonymous visitor sees no more than an anonymous API caller could read —
 * only where the API is (open programs are read through the API, not listed here) — and a BL
 * client signed in with HTTP Basic sees everything. The sign-in shares the token endpoint's
 * throttle. Each section is paged (keyset, like the API) and a chart has at most CHART_BARS bars,
 * so the page stays small whatever the store holds. It sends a strict Content-Security-Policy (no
 * scripts at all) and refuses to be framed.
 */
import crypto from 'crypto';
import type { Request, Response } from 'express';
import type { TokenAuthority } from './auth';
import { clientAddress } from './client-address';
import type { VtnService } from './service';
import type { ObjectType, StoredObject, VtnStore } from './store/store';
import { VtnError } from './problem';

/** Rows per section and page. */
export const PAGE_ROWS = 20;
/** Most bars in one event's price chart (longer events are drawn as the maximum of each bucket). */
export const CHART_BARS = 192;

const STYLE =
  'body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:0.5em}' +
  'td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}.price-chart rect{fill:#3a7}.more{margin-bottom:1.5em}';
const STYLE_HASH = crypto.createHash('sha256').update(STYLE).digest('base64');
const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Prices of an event's intervals as a small bar chart (inline SVG, no scripts). */
export function priceChart(event: Record<string, unknown>): string {
  const intervals = Array.isArray(event.intervals) ? (event.intervals as Array<Record<string, unknown>>) : [];
  const all = intervals.map((iv) => {
    const payloads = Array.isArray(iv?.payloads) ? (iv.payloads as Array<Record<string, unknown>>) : [];
    const price = payloads.find((p) => p?.type === 'PRICE');
    const v = Array.isArray(price?.values) ? Number(price.values[0]) : NaN;
    return Number.isFinite(v) ? v : 0;
  });
  if (!all.length) return '<span class="no-prices">no PRICE intervals</span>';
  // More intervals than bars: each bar is the highest price of its share of the intervals.
  const per = Math.ceil(all.length / CHART_BARS);
  const bars: Array<{ from: number; to: number; p: number }> = [];
  for (let i = 0; i < all.length; i += per) {
    const slice = all.slice(i, i + per);
    bars.push({ from: i, to: i + slice.length - 1, p: slice.reduce((a, b) => Math.max(a, b), -Infinity) });
  }
  const max = Math.max(1e-9, ...bars.map((b) => b.p));
  const w = 4;
  const h = 40;
  const rects = bars
    .map((b, i) => {
      const bh = Math.max(1, Math.round((b.p / max) * h));
      const label = b.from === b.to ? `${b.from}` : `${b.from}–${b.to}`;
      return `<rect x="${i * w}" y="${h - bh}" width="${w - 1}" height="${bh}"><title>${label}: ${b.p}</title></rect>`;
    })
    .join('');
  return `<svg class="price-chart" role="img" aria-label="prices, max ${esc(max)}" width="${bars.length * w}" height="${h}" viewBox="0 0 ${bars.length * w} ${h}">${rects}</svg>`;
}

interface Section {
  key: string;
  type: ObjectType;
  title: string;
  head: string[];
  row: (o: StoredObject) => Promise<string[]> | string[];
}

export interface ApiLink {
  id: string;
  label: string;
  url: string;
}

export interface StatusPageOptions {
  /** True when only this machine can reach the VTN (bound to loopback and not behind a proxy). */
  loopbackOnly: () => boolean;
  trustProxy: boolean;
  /**
   * Where the APIs are, shown to everyone: URLs from the VTN's advertised origin (the public URL
   * or the listener's own), never from the request's Host header.
   */
  apiLinks: (req: Request) => ApiLink[];
}

/** The page's sections, in order: what each lists and how it draws a row. */
function statusSections(store: VtnStore): Section[] {
  return [
    {
      key: 'programs',
      type: 'PROGRAM',
      title: 'Programs',
      head: ['programName', 'id', 'created'],
      row: (p) => [esc(p.body.programName), esc(p.id), esc(p.body.createdDateTime)],
    },
    {
      key: 'events',
      type: 'EVENT',
      title: 'Events',
      head: ['eventName', 'program', 'start', 'intervals', 'prices'],
      row: (e) => {
        const period = (e.body.intervalPeriod ?? {}) as Record<string, unknown>;
        const n = Array.isArray(e.body.intervals) ? e.body.intervals.length : 0;
        return [
          esc(e.body.eventName),
          esc(e.body.programID),
          esc(period.start),
          String(n),
          priceChart(e.body),
        ];
      },
    },
    {
      key: 'vens',
      type: 'VEN',
      title: 'VENs',
      head: ['venName', 'id', 'owner'],
      row: (v) => [esc(v.body.venName), esc(v.id), esc(v.owner ?? '')],
    },
    {
      key: 'reports',
      type: 'REPORT',
      title: 'Reports',
      head: ['reportName', 'clientName', 'event', 'created'],
      row: (r) => [
        esc(r.body.reportName),
        esc(r.body.clientName),
        esc(r.body.eventID),
        esc(r.body.createdDateTime),
      ],
    },
    {
      key: 'subscriptions',
      type: 'SUBSCRIPTION',
      title: 'Subscriptions',
      head: ['clientName', 'programID', 'delivery', 'delivered', 'pending', 'dead', 'last error'],
      row: async (s) => {
        const d = await store.deliverySummary(s.id);
        const state = d.dead ? 'dead' : d.pending && d.lastError ? 'retrying' : 'ok';
        return [
          esc(s.body.clientName),
          esc(s.body.programID),
          `<span class="delivery-state">${state}</span>`,
          String(d.delivered),
          String(d.pending),
          String(d.dead),
          esc(d.lastError ?? ''),
        ];
      },
    },
  ];
}

/** Whether this request may see the VTN's objects: 429 while its sign-in is throttled. */
function signedInAsBl(auth: TokenAuthority, trustProxy: boolean, req: Request): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return false;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return false;
  const client = auth.authenticate(text.slice(0, i), text.slice(i + 1), clientAddress(req, trustProxy));
  return client?.role === 'BL';
}

/** One section's table: a page of rows after `after` (a store seq), and a link to the next page. */
async function renderSection(store: VtnStore, s: Section, after: number): Promise<string> {
  const rows = await store.list({ type: s.type, afterSeq: after, limit: PAGE_ROWS + 1 });
  const shown = rows.slice(0, PAGE_ROWS);
  const cells = await Promise.all(shown.map((o) => s.row(o)));
  const body = shown.length
    ? shown
        .map((o, i) => `<tr data-id="${esc(o.id)}">${cells[i].map((c) => `<td>${c}</td>`).join('')}</tr>`)
        .join('')
    : `<tr><td colspan="${s.head.length}">none${after ? ' after this point' : ''}</td></tr>`;
  const next =
    rows.length > PAGE_ROWS
      ? `<a id="more-${s.key}" href="?show=${s.key}&amp;after=${shown[shown.length - 1].seq ?? 0}">more ${s.title.toLowerCase()} →</a>`
      : '';
  return `<h2>${s.title}</h2><table id="${s.key}"><tr>${s.head.map((h) => `<th>${h}</th>`).join('')}</tr>${body}</table><p class="more">${next}</p>`;
}

export function statusPage(service: VtnService, auth: TokenAuthority, options: StatusPageOptions) {
  const store = service.store;
  const sections = statusSections(store);
  const signedIn = (req: Request): boolean => signedInAsBl(auth, options.trustProxy, req);
  const render = (s: Section, after: number): Promise<string> => renderSection(store, s, after);

  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    let detailed: boolean;
    try {
      detailed = (options.loopbackOnly() && !options.trustProxy) || signedIn(req);
    } catch (err) {
      if (!(err instanceof VtnError)) throw err;
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      res.status(err.status).type('text/plain').send(err.detail);
      return;
    }
    const api = `<p id="api">${options
      .apiLinks(req)
      .map((l) => `${esc(l.label)}: <a id="${esc(l.id)}" href="${esc(l.url)}">${esc(l.url)}</a>`)
      .join(' · ')}</p>`;
    let main: string;
    if (!detailed) {
      main = `${api}
<p id="sign-in">Programs, events, VENs, reports and subscriptions are shown to BL clients: <a id="sign-in-link" href="?signin=1">sign in</a>.</p>`;
      if (req.query.signin !== undefined) {
        res.setHeader('WWW-Authenticate', 'Basic realm="openadr3-vtn status"');
        res.status(401);
      }
    } else {
      const show = sections.find((s) => s.key === req.query.show);
      const after = Math.max(0, Number.parseInt(String(req.query.after ?? '0'), 10) || 0);
      if (show) {
        main = `<p><a href="./">← all sections</a></p>${await render(show, after)}`;
      } else {
        const counts = await Promise.all(sections.map((s) => store.count(s.type)));
        const summary = sections
          .map(
            (s, i) => `<span id="count-${s.key}">${counts[i]}</span> ${s.title === 'VENs' ? 'VENs' : s.key}`,
          )
          .join(' · ');
        const parts = await Promise.all(sections.map((s) => render(s, 0)));
        main = `${api}<p id="summary">${summary}</p>${parts.join('\n')}`;
      }
    }
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>OpenADR 3 VTN</title>
<style>${STYLE}</style>
</head><body>
<h1 id="title">OpenADR 3 VTN</h1>
${main}
</body></html>`;
    res.type('html').send(html);
  };
}

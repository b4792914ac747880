/**
 * The one editor of both scheduler nodes, served by the runtime: each type's .html loads
 * `hpwh-scheduler/editor.js` from the admin API and registers its type with the definition it
 * returns. The script carries the settings table (defaults and rules, from
 * ./scheduler-settings.ts) and the form, so the editor never holds a copy of a default.
 *
 * Why a script from the runtime rather than a file: the defaults come from the core (and may
 * change with it); the route is public like Node-RED's own editor resources (the script holds
 * no secret), because a `<script src>` cannot carry the admin token.
 */
import type { NodeAPI } from 'node-red';
import { addGetRoute } from './http-route';
import { SCHEDULER_FIELDS, type SchedulerField } from './scheduler-settings';

/** Where the editor script is served, relative to the admin root (as the .html files load it). */
export const SCHEDULER_EDITOR_PATH = '/hpwh-scheduler/editor.js';

/**
 * One row of the form: a label for the input `id` and the row's controls. The label's key comes
 * in as an argument, so its attribute is single-quoted: double-quoted `data-i18n` attributes in
 * this file are read as literal keys by the catalog check.
 */
function row(id: string, label: string, controls: string, rowClass = ''): string {
  return `<div class="form-row${rowClass ? ` ${rowClass}` : ''}">
  <label for="node-input-${id}" data-i18n='${label}'></label>
  ${controls}
</div>`;
}

/** A short text box for a number. */
const box = (id: string, width = 80): string =>
  `<input type="text" id="node-input-${id}" style="width: ${width}px" />`;

/** A section heading (its key argument-filled, single-quoted as in row). */
const section = (key: string): string => `<div class="form-row"><b data-i18n='${key}'></b></div>`;

/** The form both types share; rows with class `hpwh-engine` are the LP scheduler's only. */
const TEMPLATE = [
  `<div class="form-row">
  <label for="node-input-name"><i class="fa fa-tag"></i> <span data-i18n="node-red:common.label.name"></span></label>
  <input type="text" id="node-input-name" data-i18n="[placeholder]node-red:common.label.name" />
</div>`,
  section('schedulerEditor.section.heater'),
  row('capacityKwh', 'schedulerEditor.label.capacity', `${box('capacityKwh')} kWh`),
  row(
    'reserveKwh',
    'schedulerEditor.label.reserve',
    `${box('reserveKwh')} <span data-i18n="schedulerEditor.unit.reserve"></span>`,
  ),
  row(
    'initialSocKwh',
    'schedulerEditor.label.tankNow',
    `${box('initialSocKwh')} <span data-i18n="[html]schedulerEditor.unit.tankNow"></span>`,
  ),
  row(
    'finalSocKwh',
    'schedulerEditor.label.keepAtEnd',
    `<input type="text" id="node-input-finalSocKwh" style="width: 80px" data-i18n="[placeholder]schedulerEditor.placeholder.keepAtEnd" />
  <span data-i18n="schedulerEditor.unit.keepAtEnd"></span>`,
  ),
  row(
    'maxOutputKw',
    'schedulerEditor.label.output',
    `${box('minOutputKw', 60)} <span data-i18n="schedulerEditor.unit.to"></span>
  ${box('maxOutputKw', 60)} <span data-i18n="schedulerEditor.unit.kwThermal"></span>`,
  ),
  row('cop', 'schedulerEditor.label.cop', box('cop')),
  row(
    'useTankTemp',
    'schedulerEditor.label.tankTemp',
    `<input type="checkbox" id="node-input-useTankTemp" style="width: auto; margin: 0" />
  <span data-i18n="[html]schedulerEditor.unit.tankTemp"></span>`,
  ),
  row(
    'tankVolumeL',
    'schedulerEditor.label.volume',
    `${box('tankVolumeL')} <span data-i18n="schedulerEditor.unit.liters"></span>`,
    'hpwh-tank-temp',
  ),
  row(
    'inletTemp',
    'schedulerEditor.label.inlet',
    `${box('inletTemp')}
  <select id="node-input-tempUnit" style="width: 70px">
    <option value="C">°C</option>
    <option value="F">°F</option>
  </select>`,
    'hpwh-tank-temp',
  ),
  row(
    'tankTempProperty',
    'schedulerEditor.label.tempProperty',
    `<input type="text" id="node-input-tankTempProperty" data-i18n="[placeholder]schedulerEditor.placeholder.tempProperty" />`,
    'hpwh-tank-temp',
  ),
  section('schedulerEditor.section.draw'),
  row(
    'drawProfile',
    'schedulerEditor.label.profile',
    `<select id="node-input-drawProfile">
    <option value="residential" data-i18n="schedulerEditor.option.residential"></option>
    <option value="flat" data-i18n="schedulerEditor.option.flat"></option>
    <option value="msg" data-i18n="schedulerEditor.option.msgLoad"></option>
  </select>`,
  ),
  row(
    'dailyDrawKwh',
    'schedulerEditor.label.perDay',
    `${box('dailyDrawKwh')} <span data-i18n="schedulerEditor.unit.kwhThermal"></span>`,
    'hpwh-daily-draw',
  ),
  row(
    'timeZone',
    'schedulerEditor.label.timeZone',
    `<input type="text" id="node-input-timeZone" data-i18n="[placeholder]schedulerEditor.placeholder.timeZone" />`,
    'hpwh-daily-draw',
  ),
  section('schedulerEditor.section.planning'),
  row(
    'horizon',
    'schedulerEditor.label.plan',
    `<select id="node-input-horizon">
    <option value="fromNow" data-i18n="schedulerEditor.option.fromNow"></option>
    <option value="all" data-i18n="schedulerEditor.option.all"></option>
  </select>`,
  ),
  row(
    'intervalMinutes',
    'schedulerEditor.label.arrayStep',
    `${box('intervalMinutes')} <span data-i18n="schedulerEditor.unit.arrayStep"></span>`,
  ),
  row(
    'engine',
    'schedulerEditor.label.engine',
    `<select id="node-input-engine">
    <option value="exact" data-i18n="schedulerEditor.option.exact"></option>
    <option value="javascript-lp-solver">javascript-lp-solver</option>
  </select>`,
    'hpwh-engine',
  ),
  row(
    'loadUpPercent',
    'schedulerEditor.label.signals',
    `<span data-i18n="schedulerEditor.unit.loadUpFrom"></span> ${box('loadUpPercent', 50)}
  <span data-i18n="schedulerEditor.unit.advancedFrom"></span>
  ${box('advancedLoadUpPercent', 50)} <span data-i18n="schedulerEditor.unit.ofFullOutput"></span>`,
  ),
].join('\n');

/** What the editor says about a number field: its label, and the message when above its limit. */
interface FieldText {
  label: string;
  atMost?: { message: string; param: string };
}

const FIELD_TEXT: Record<string, FieldText> = {
  capacityKwh: { label: 'schedulerEditor.label.capacity' },
  reserveKwh: {
    label: 'schedulerEditor.label.reserve',
    atMost: { message: 'schedulerEditor.validation.reserveAboveCapacity', param: 'capacity' },
  },
  maxOutputKw: { label: 'schedulerEditor.label.output' },
  minOutputKw: {
    label: 'schedulerEditor.label.output',
    atMost: { message: 'schedulerEditor.validation.minAboveMax', param: 'max' },
  },
  cop: { label: 'schedulerEditor.label.cop' },
  initialSocKwh: { label: 'schedulerEditor.label.tankNow' },
  finalSocKwh: { label: 'schedulerEditor.label.keepAtEnd' },
  dailyDrawKwh: { label: 'schedulerEditor.label.perDay' },
  intervalMinutes: { label: 'schedulerEditor.label.arrayStep' },
  loadUpPercent: { label: 'schedulerEditor.label.signals' },
  advancedLoadUpPercent: { label: 'schedulerEditor.label.signals' },
  tankVolumeL: { label: 'schedulerEditor.label.volume' },
  inletTemp: { label: 'schedulerEditor.label.inlet' },
};

interface EditorSpec {
  fields: Record<string, SchedulerField>;
  text: Record<string, FieldText>;
  template: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the editor's RED, jQuery and node objects
   are untyped browser globals; this function runs in the browser, not in Node. */
/**
 * Runs in the browser (serialised with Function.prototype.toString, so it uses nothing from this
 * module): defines `window.hpwhSchedulerEditor(type, options)`, which installs the form for
 * `type` and returns its definition for RED.nodes.registerType.
 */
function defineSchedulerEditor(spec: EditorSpec, win: any, $: any): void {
  const checkNumber = function (this: any, name: string, v: unknown, opt: unknown): true | false | string {
    const field = spec.fields[name] as any;
    const text = spec.text[name];
    const blank = v === '' || v === undefined || v === null;
    const n = Number(v);
    const ok =
      field.rule === 'positive'
        ? isFinite(n) && n > 0
        : field.rule === 'notNegative'
          ? isFinite(n) && n >= 0
          : isFinite(n);
    const key =
      field.rule === 'positive'
        ? 'schedulerEditor.validation.positive'
        : field.rule === 'notNegative'
          ? 'schedulerEditor.validation.notNegative'
          : 'schedulerEditor.validation.number';
    const valueOf = (other: string): unknown => {
      const input = $('#node-input-' + other);
      if (!input.length) return this[other];
      return input.attr('type') === 'checkbox' ? input.prop('checked') : input.val();
    };
    if (field.when && !valueOf(field.when)) return true;
    if (blank ? field.value === '' : ok) {
      if (blank || !field.atMost) return true;
      const limit = valueOf(field.atMost);
      if (n <= Number(limit)) return true;
      const params: Record<string, unknown> = {};
      params[text.atMost!.param] = limit;
      return opt ? this._(text.atMost!.message, params) : false;
    }
    return opt ? this._(key, { field: this._(text.label) }) : false;
  };
  win.hpwhSchedulerEditor = function (type: string, options: { engine?: boolean }): Record<string, unknown> {
    const template = $('<div>').html(spec.template);
    if (!options.engine) template.find('.hpwh-engine').remove();
    const existing = $('script[data-template-name="' + type + '"]');
    if (existing.length) existing.first().text(template.html());
    else
      $('<script type="text/html">').attr('data-template-name', type).text(template.html()).appendTo('body');
    const defaults: Record<string, unknown> = { name: { value: '' }, configVersion: { value: 1 } };
    Object.keys(spec.fields).forEach((name) => {
      const field = spec.fields[name] as any;
      if (name === 'engine' && !options.engine) return;
      const entry: Record<string, unknown> = { value: field.value };
      if (field.kind === 'number') {
        entry.required = field.value !== '' && !field.when;
        entry.validate = function (this: any, v: unknown, opt: unknown) {
          return checkNumber.call(this, name, v, opt);
        };
      }
      defaults[name] = entry;
    });
    // The type's own: palette place and colour, label and palette label (its catalog's keys).
    const own: Record<string, unknown> = {};
    Object.keys(options).forEach((key) => {
      if (key !== 'engine') own[key] = (options as Record<string, unknown>)[key];
    });
    return $.extend(own, {
      defaults: defaults,
      inputLabels: function (this: any) {
        return this._('schedulerEditor.inputLabel');
      },
      outputLabels: function (this: any) {
        return this._('schedulerEditor.outputLabel');
      },
      oneditprepare: function () {
        const toggle = function () {
          $('.hpwh-daily-draw').toggle($('#node-input-drawProfile').val() !== 'msg');
          $('.hpwh-tank-temp').toggle($('#node-input-useTankTemp').prop('checked'));
        };
        $('#node-input-drawProfile, #node-input-useTankTemp').on('change', toggle);
        toggle();
      },
    });
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The script the editor loads: the table and the form, and the function that uses them. */
export function schedulerEditorScript(): string {
  const spec: EditorSpec = { fields: SCHEDULER_FIELDS, text: FIELD_TEXT, template: TEMPLATE };
  // `__name` stands in for the helper a transpiler keeping function names may have inserted.
  return `(function () {\n  var __name = function (f) { return f; };\n  (${defineSchedulerEditor.toString()})(${JSON.stringify(spec)}, window, jQuery);\n})();\n`;
}

const served = new WeakSet<object>();

/** Serve the editor script once per runtime (both types call this). */
export function serveSchedulerEditor(RED: NodeAPI): void {
  if (served.has(RED.httpAdmin)) return;
  served.add(RED.httpAdmin);
  const script = schedulerEditorScript();
  addGetRoute(RED.httpAdmin, SCHEDULER_EDITOR_PATH, (_req, res) => {
    res.type('application/javascript').send(script);
  });
}

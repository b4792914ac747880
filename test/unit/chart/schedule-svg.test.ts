import assert from 'assert';
import { renderScheduleSvg, ChartSchedule } from '../../../src';
import { sampleSchedule } from '../../support/sample-schedule';

describe('unit: renderScheduleSvg', () => {
  it('draws one output bar and one signal cell per interval, coloured by signal', () => {
    const schedule = sampleSchedule(24);
    const svg = renderScheduleSvg(schedule, { minStorage: 1, maxStorage: 12, maxInput: 4.5 });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.strictEqual(svg.match(/class="output-bar"/g)?.length, 24);
    assert.strictEqual(svg.match(/class="signal signal-/g)?.length, 24);
    const sheds = schedule.intervals.filter((iv) => iv.signal === -1).length;
    assert.strictEqual(svg.match(/class="signal signal--1"/g)?.length ?? 0, sheds);
    assert.match(svg, /class="limit tank-min"/);
    assert.match(svg, /class="limit tank-max"/);
  });

  it('states cost and savings against running without a schedule', () => {
    const svg = renderScheduleSvg(sampleSchedule());
    assert.match(svg, /cost \$0\.58/);
    assert.match(svg, /saves \$0\.09 \(13 %\) against no schedule/);
  });

  it('says so when the schedule is a fallback', () => {
    const svg = renderScheduleSvg({ ...sampleSchedule(4), converged: false });
    assert.match(svg, /NOT CONVERGED/);
  });

  it('labels the time axis in the requested time zone', () => {
    const utc = renderScheduleSvg(sampleSchedule(4));
    const la = renderScheduleSvg(sampleSchedule(4), { timeZone: 'America/Los_Angeles' });
    assert.match(utc, />00:00</);
    assert.match(la, />16:00</);
  });

  it('escapes text so a title cannot inject markup', () => {
    const svg = renderScheduleSvg(sampleSchedule(2), { title: '<script>alert(1)</script>' });
    assert.doesNotMatch(svg, /<script>/);
  });

  it('rejects malformed schedules with an error naming the field', () => {
    assert.throws(() => renderScheduleSvg({} as ChartSchedule), /schedule\.intervals must be an array/);
    assert.throws(() => renderScheduleSvg({ intervals: [] }), /empty/);
    const bad = sampleSchedule(3);
    (bad.intervals[1] as { price: unknown }).price = 'cheap';
    assert.throws(() => renderScheduleSvg(bad), /schedule\.intervals\[1\]\.price must be a finite number/);
    const badSignal = sampleSchedule(3);
    badSignal.intervals[2].signal = 7;
    assert.throws(() => renderScheduleSvg(badSignal), /intervals\[2\]\.signal/);
  });
});

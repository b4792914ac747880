/**
 * How much the strict Olivine parser costs next to the JSON.parse it cannot avoid, for the live
 * 24 h fixture and the simple 13 h one, plus pricesToOpenAdrEvent. Printed as ratios against
 * JSON.parse of the same text, measured in the same run (absolute numbers depend on the machine).
 */
import fs from 'fs';
import path from 'path';
import { parseOlivinePrices, pricesToOpenAdrEvent } from '../src/pricing/olivine';

const root = path.resolve(__dirname, '..');
const texts = {
  'live 24 h': fs.readFileSync(path.join(root, 'sample_data', 'olivine', 'etou-dyn-24h.json'), 'utf8'),
  'simple 13 h': fs.readFileSync(path.join(root, 'sample_data', 'olivine', 'simple-shape-13h.json'), 'utf8'),
  'OpenADR 3 event': fs.readFileSync(path.join(root, 'sample_data', 'event_pricing.json'), 'utf8'),
};

/** Median microseconds per call over several rounds (after a warm-up). */
function measure(fn: () => unknown, rounds = 15, perRound = 400): number {
  for (let i = 0; i < perRound; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / perRound);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

console.log('bench:pricing — median µs per call, ratio to JSON.parse of the same text');
for (const [name, text] of Object.entries(texts)) {
  const baseline = measure(() => JSON.parse(text));
  const parse = measure(() => parseOlivinePrices(text));
  const parsed = parseOlivinePrices(text);
  const toEvent = measure(() => pricesToOpenAdrEvent(parsed, { eventName: 'bench' }));
  console.log(
    `${name.padEnd(16)} JSON.parse ${baseline.toFixed(1)} µs | parseOlivinePrices ${parse.toFixed(1)} µs ` +
      `(×${(parse / baseline).toFixed(1)}) | pricesToOpenAdrEvent ${toEvent.toFixed(1)} µs (×${(toEvent / baseline).toFixed(1)})`,
  );
}

import assert from 'assert';
import { planReads } from '../../../src/modbus/link';
import { defaultRegisterMap } from '../../../src/modbus/default-map';

describe('modbus read planning', () => {
  it('reads adjacent registers of one kind in one request and keeps kinds apart', () => {
    const spans = planReads(defaultRegisterMap.state);
    assert.deepStrictEqual(
      spans.map((s) => [s.kind, s.address, s.count, s.members.map((m) => m.name)]),
      [
        ['coil', 0, 1, ['customerOverride']],
        ['holding', 200, 1, ['operatingState']],
        ['input', 201, 7, ['tankTemperature', 'power', 'energyStored', 'energyTake', 'capacity']],
      ],
    );
  });

  it('does not bridge gaps (an unmapped address may be illegal) and respects the 125-register limit', () => {
    const spans = planReads([
      { name: 'a', kind: 'input', address: 10 },
      { name: 'b', kind: 'input', address: 12 },
      { name: 'c', kind: 'holding', address: 0, words: 2 },
      ...Array.from({ length: 130 }, (_, i) => ({ name: `h${i}`, kind: 'holding' as const, address: 2 + i })),
    ]);
    assert.deepStrictEqual(
      spans.map((s) => [s.kind, s.address, s.count]),
      [
        ['holding', 0, 125],
        ['holding', 125, 7],
        ['input', 10, 1],
        ['input', 12, 1],
      ],
    );
  });
});

/** A small, hand-checkable schedule in the scheduler nodes' output shape (for chart tests). */
export function sampleSchedule(n = 24, startIso = '2026-02-17T00:00:00Z') {
  const start = Date.parse(startIso);
  const intervals = Array.from({ length: n }, (_, i) => {
    const price = 0.1 + 0.05 * Math.sin((i / n) * 2 * Math.PI);
    const control = price < 0.1 ? 4.5 : 0;
    return {
      start: new Date(start + i * 3600_000).toISOString(),
      end: new Date(start + (i + 1) * 3600_000).toISOString(),
      price,
      control,
      cost: (control * price) / 3,
      soc: 6 + Math.cos(i / 3) * 4,
      signal: control === 0 ? -1 : control > 3.6 ? 2 : 1,
    };
  });
  return { intervals, totalCost: 0.58, baselineCost: 0.67, converged: true, algorithm: 'lp' };
}

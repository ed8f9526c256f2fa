import { describe, expect, it } from 'vitest';
import { lineChart, logLogChart, renderSvg, seriesOrder } from './charts.ts';

const rows = [1024, 16, 4096, 64, 256].flatMap((m) => [1, 2].map((x) => ({ x, y: x / m, series: `m=${m}` })));

describe('chart legends', () => {
  it('order series labels by the numbers in them (m=16 before m=1024), not as strings', () => {
    expect(seriesOrder(rows, 'series')).toEqual(['m=16', 'm=64', 'm=256', 'm=1024', 'm=4096']);
    const mixed = ['m=1024 Θ̂₀', 'analytical Θ', 'm=16 actual', 'm=16 Θ̂₀', 'm=1024 actual'].map((series) => ({ series }));
    expect(seriesOrder(mixed, 'series')).toEqual(['analytical Θ', 'm=16 actual', 'm=16 Θ̂₀', 'm=1024 actual', 'm=1024 Θ̂₀']);
  });

  it('the rendered legend lists m=16 before m=1024 in both chart kinds', async () => {
    for (const spec of [
      lineChart({ title: 't', rows, x: 'x', y: 'y', xTitle: 'x', yTitle: 'y', series: 'series' }),
      logLogChart({ title: 't', rows, x: 'x', y: 'y', xTitle: 'x', yTitle: 'y', series: 'series' }),
    ]) {
      const svg = await renderSvg(spec);
      const labels = [...svg.matchAll(/>(m=\d+)</g)].map((m) => m[1]);
      expect(labels).toEqual(['m=16', 'm=64', 'm=256', 'm=1024', 'm=4096']);
    }
  });
});

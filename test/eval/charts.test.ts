import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { barChart, detectionCharts } from '../../eval/charts.ts';
import { packageRoot } from '../../src/kafka/index.ts';
import type { WatchedReport } from '../../eval/results-watch.ts';

const report = (by_source: WatchedReport['by_source'], tpr: number, fpr: number | null) => ({
  n: Object.values(by_source).reduce((sum, figures) => sum + figures.n, 0),
  tpr,
  fpr,
  by_source,
});

describe('barChart', () => {
  const rules = report(
    { attacks: { n: 100, tpr: 0.5, fpr: null }, benign: { n: 200, tpr: null, fpr: 0.01 } },
    0.5,
    0.01,
  );
  const model = report(
    { attacks: { n: 100, tpr: 0.9, fpr: null }, benign: { n: 200, tpr: null, fpr: 0.03 } },
    0.9,
    0.03,
  );
  const svg = barChart(
    'A <title>',
    [
      { name: 'rules', report: rules },
      { name: 'rules + model', report: model },
    ],
    [
      { title: 'TPR', rate: 'tpr', max: 1, target: 0.95 },
      { title: 'FPR', rate: 'fpr', max: 0.06, target: 0.01 },
    ],
  );
  const widths = [...svg.matchAll(/<rect class="bar" x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map(
    (match) => Number(match[1]),
  );

  it('draws a bar per row and series, the overall rate first, in proportion to its axis', () => {
    // TPR: all 0.5 / 0.9, attacks 0.5 / 0.9; FPR: all 0.01 / 0.03, benign 0.01 / 0.03.
    assert.equal(widths.length, 8);
    assert.deepEqual(
      widths.map((width) => Math.round(width)),
      [215, 387, 215, 387, 72, 215, 72, 215],
    );
  });

  it('labels the overall row with the count of the label it rates, and escapes text', () => {
    assert.match(svg, />all</);
    assert.match(svg, /0\.900 \(n 100\)/);
    assert.match(svg, /0\.030 \(n 200\)/);
    assert.match(svg, /A &#60;title&#62;/);
    assert.doesNotMatch(svg, /<title>/);
  });

  it('draws each bar the issue sets', () => {
    assert.match(svg, />bar 0\.95</);
    assert.match(svg, />bar 0\.01</);
  });
});

describe('detection charts', () => {
  it('docs/charts agree with the committed results (`node --import tsx eval/charts.ts`)', () => {
    for (const [file, svg] of Object.entries(detectionCharts())) {
      const committed = readFileSync(join(packageRoot(), 'docs', 'charts', file), 'utf8');
      assert.equal(committed, svg, `docs/charts/${file} is stale`);
    }
  });
});

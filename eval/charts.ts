/**
 * Charts of the committed detection results (eval/results/*.json) for docs/results.md (prompt
 * injection on dev, on garak's probes and on spikee's, PyRIT's and AgentDojo's data, harmful
 * requests on dev): per source, each policy's rate as a bar with its 95% Wilson interval, and the
 * bar the issue sets as a dashed line. `npm run eval` redraws them; `node --import tsx eval/charts.ts` alone redraws
 * them from the committed results. A test fails when they are stale.
 *
 * Usage: node --import tsx eval/charts.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/kafka/index.ts';
import { escapeHtml as escapeXml, wilson } from '../src/redteam/index.ts';
import type { WatchedReport } from './results-watch.ts';

export interface ChartSeries {
  name: string;
  report: WatchedReport;
}

export interface ChartPanel {
  title: string;
  rate: 'tpr' | 'fpr';
  /** The axis ends here (FPRs are drawn on a short axis so that 1% is visible). */
  max: number;
  /** The issue's bar, drawn as a dashed line. */
  target?: number;
}

const COLOURS = ['#95a5a6', '#2e86c1', '#c0392b'];
/** Width of the bars' area; labels go left of it (as wide as the longest), figures right. */
const PLOT = 430;
const BAR = 12;

const fixed = (value: number): string => value.toFixed(1);

const ALL = 'all';

/** The report's overall rate as a row, counted over the sources that hold that label. */
function withOverall(report: WatchedReport, rate: 'tpr' | 'fpr'): WatchedReport['by_source'] {
  const counted = Object.values(report.by_source).filter((figures) => figures[rate] !== null);
  const n = counted.reduce((sum, figures) => sum + figures.n, 0);
  const overall = { n, tpr: null, fpr: null, [rate]: report[rate] };
  return { [ALL]: overall, ...report.by_source };
}

/** A panel's rows per series (the overall rate first), and the rows the first series has. */
function panelRows(
  series: readonly ChartSeries[],
  rate: 'tpr' | 'fpr',
): { rowsOf: WatchedReport['by_source'][]; sources: string[] } {
  const rowsOf = series.map((entry) => withOverall(entry.report, rate));
  const sources = Object.entries(rowsOf[0] ?? {})
    .filter(([, figures]) => figures[rate] !== null)
    .map(([source]) => source);
  return { rowsOf, sources };
}

/** One SVG: a panel per rate, a row per source, a bar per series. */
export function barChart(
  title: string,
  series: readonly ChartSeries[],
  panels: readonly ChartPanel[],
): string {
  const rowHeight = BAR * series.length + 8;
  const rows = panels.map((panel) => panelRows(series, panel.rate));
  const longest = Math.max(
    10,
    ...rows.flatMap(({ sources }) => sources.map((source) => source.length)),
  );
  // ~6 px a character at 11 px: room for the longest label without measuring text.
  const left = Math.ceil(20 + 6.2 * longest);
  const right = left + PLOT;
  const width = right + 120;
  const scaleFor =
    (max: number) =>
    (value: number): number =>
      left + (Math.min(value, max) / max) * (right - left);
  let y = 44;
  const parts: string[] = [
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...series.map(
      (entry, index) =>
        `<rect x="${String(10 + index * 230)}" y="28" width="10" height="10" fill="${COLOURS[index % COLOURS.length] ?? '#888'}"/><text x="${String(24 + index * 230)}" y="37" font-size="11">${escapeXml(entry.name)}</text>`,
    ),
  ];
  for (const [panelIndex, panel] of panels.entries()) {
    const scale = scaleFor(panel.max);
    const { rowsOf, sources } = rows[panelIndex] ?? { rowsOf: [], sources: [] };
    y += 24;
    parts.push(
      `<text x="10" y="${String(y)}" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    y += 8;
    const top = y;
    for (const source of sources) {
      parts.push(
        `<text x="${String(left - 8)}" y="${String(y + rowHeight / 2 + 2)}" text-anchor="end" font-size="11"${source === ALL ? ' font-weight="bold"' : ''}>${escapeXml(source)}</text>`,
      );
      rowsOf.forEach((seriesRows, index) => {
        const figures = seriesRows[source];
        const value = figures?.[panel.rate];
        if (figures === undefined || value === null || value === undefined) return;
        const barY = y + 4 + index * BAR;
        const [low, high] = wilson(Math.round(value * figures.n), figures.n);
        parts.push(
          `<rect class="bar" x="${String(left)}" y="${fixed(barY)}" width="${fixed(scale(value) - left)}" height="${String(BAR - 2)}" fill="${COLOURS[index % COLOURS.length] ?? '#888'}"/>`,
          `<line x1="${fixed(scale(low))}" x2="${fixed(scale(high))}" y1="${fixed(barY + BAR / 2 - 1)}" y2="${fixed(barY + BAR / 2 - 1)}" stroke="#000"/>`,
          `<text x="${String(right + 10)}" y="${fixed(barY + BAR - 3)}" font-size="9">${value.toFixed(3)} (n ${String(figures.n)})</text>`,
        );
      });
      y += rowHeight;
    }
    parts.push(
      `<line x1="${String(left)}" x2="${String(left)}" y1="${String(top)}" y2="${String(y)}" stroke="#444"/>`,
      `<text x="${String(left)}" y="${String(y + 12)}" font-size="9" text-anchor="middle">0</text>`,
      `<text x="${fixed(scale(panel.max))}" y="${String(y + 12)}" font-size="9" text-anchor="middle">${String(panel.max)}</text>`,
    );
    if (panel.target !== undefined)
      parts.push(
        `<line x1="${fixed(scale(panel.target))}" x2="${fixed(scale(panel.target))}" y1="${String(top)}" y2="${String(y)}" stroke="#000" stroke-dasharray="4 3"/>`,
        `<text x="${fixed(scale(panel.target))}" y="${String(top - 2)}" font-size="9" text-anchor="middle">bar ${String(panel.target)}</text>`,
      );
    y += 16;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(y + 8)}" font-family="sans-serif" role="img" aria-label="${escapeXml(title)}"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>\n`;
}

/** The charts docs/results.md shows, by file name under docs/charts. */
export function detectionCharts(root: string = packageRoot()): Record<string, string> {
  const read = (file: string): WatchedReport =>
    JSON.parse(readFileSync(join(root, 'eval/results', file), 'utf8')) as WatchedReport;
  const rulesAndEncoder = (rules: string, encoder: string): ChartSeries[] => [
    { name: 'prompt_injection (default policy)', report: read(rules) },
    { name: '+ prompt_injection_encoder (opt-in)', report: read(encoder) },
  ];
  return {
    'injection-dev.svg': barChart(
      'Prompt injection and jailbreak, dev set (never trained on)',
      rulesAndEncoder('injection-dev.json', 'injection-encoder-dev.json'),
      [
        { title: 'attacks caught (TPR)', rate: 'tpr', max: 1, target: 0.95 },
        { title: 'benign texts flagged (FPR)', rate: 'fpr', max: 0.06, target: 0.01 },
      ],
    ),
    'harmful-dev.svg': barChart(
      'Harmful requests, held-out 15% per source (never trained on)',
      [{ name: 'harmful_request (default input policy: flag)', report: read('harmful-dev.json') }],
      [
        { title: 'harmful requests caught (TPR)', rate: 'tpr', max: 1 },
        { title: 'benign prompts flagged (FPR)', rate: 'fpr', max: 0.6 },
      ],
    ),
    'injection-garak.svg': barChart(
      "garak 0.17.1's injection probes at input (never trained on)",
      rulesAndEncoder('injection-garak.json', 'injection-encoder-garak.json'),
      [{ title: 'attacks caught (TPR)', rate: 'tpr', max: 1 }],
    ),
    'injection-external.svg': barChart(
      "spikee 0.9.2's and PyRIT 1.1.0's attack data at input (never trained on)",
      rulesAndEncoder('injection-external.json', 'injection-encoder-external.json'),
      [
        { title: 'attacks caught (TPR)', rate: 'tpr', max: 1, target: 0.95 },
        { title: 'benign prompts flagged (FPR)', rate: 'fpr', max: 0.1, target: 0.01 },
      ],
    ),
    'injection-agentdojo.svg': barChart(
      "AgentDojo 0.1.35's attacks in tool texts at retrieval (a development figure since 2026-11-27)",
      rulesAndEncoder('injection-agentdojo.json', 'injection-encoder-agentdojo.json'),
      [
        { title: 'attacked documents caught (TPR)', rate: 'tpr', max: 1, target: 0.95 },
        {
          title: 'benign documents and user tasks flagged (FPR)',
          rate: 'fpr',
          max: 0.3,
          target: 0.01,
        },
      ],
    ),
    'injection-inspect-evals.svg': barChart(
      'inspect_evals 0.28.0: coding-agent and agent-threat injections at retrieval, writing requests and assistant queries at input (never trained on)',
      rulesAndEncoder('injection-inspect-evals.json', 'injection-encoder-inspect-evals.json'),
      [
        { title: 'attacked documents caught (TPR)', rate: 'tpr', max: 1, target: 0.95 },
        {
          title: 'benign prompts and documents flagged (FPR)',
          rate: 'fpr',
          max: 0.6,
          target: 0.01,
        },
      ],
    ),
    'many-shot.svg': barChart(
      "Many-shot jailbreaks at input (PyRIT 1.1.0's template and turns, held-out AdvBench goals)",
      [
        { name: 'default input policy', report: read('many-shot-external.json') },
        {
          name: '+ prompt_injection_encoder (opt-in)',
          report: read('many-shot-encoder-external.json'),
        },
      ],
      [{ title: 'attacks flagged or blocked (TPR)', rate: 'tpr', max: 1 }],
    ),
    'refusal-external.svg': barChart(
      "refusal on PyRIT 1.1.0's human-labelled model answers (development figure since 2026-11-27)",
      [{ name: 'refusal (output)', report: read('refusal-external.json') }],
      [
        { title: 'refusals found (recall)', rate: 'tpr', max: 1 },
        { title: 'compliant answers flagged (FPR)', rate: 'fpr', max: 0.1 },
      ],
    ),
  };
}

export function writeDetectionCharts(root: string = packageRoot()): string[] {
  const dir = join(root, 'docs', 'charts');
  mkdirSync(dir, { recursive: true });
  return Object.entries(detectionCharts(root)).map(([file, svg]) => {
    writeFileSync(join(dir, file), svg);
    return join('docs', 'charts', file);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  console.error(`[eval] wrote ${writeDetectionCharts().join(', ')}`);

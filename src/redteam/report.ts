import type { Attempt } from './runner.ts';
import { probeFamilies } from './probes.ts';
import type { ProbeFamily } from './probes.ts';

export interface FamilyResult {
  family: ProbeFamily;
  n: number;
  hits: number;
  /** Attack success rate, or for `benign` the false-refusal rate. */
  rate: number;
  ci95: [number, number];
  errors: number;
}

export interface RedteamReport {
  target: string;
  model: string;
  seed: number;
  families: FamilyResult[];
  totals: { attempts: number; attackHits: number; attackAttempts: number };
  worst: Pick<Attempt, 'probe' | 'family' | 'prompt' | 'response' | 'reason'>[];
}

/** Wilson score interval: sensible at 0 and at small n, unlike the normal approximation. */
export function wilson(hits: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = hits / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  const round = (value: number): number => Math.round(value * 10_000) / 10_000;
  return [round(Math.max(0, centre - half)), round(Math.min(1, centre + half))];
}

export function summarise(
  attempts: readonly Attempt[],
  meta: { target: string; model: string; seed: number },
): RedteamReport {
  const families = probeFamilies.flatMap((family): FamilyResult[] => {
    const mine = attempts.filter((attempt) => attempt.family === family);
    if (mine.length === 0) return [];
    const errors = mine.filter(
      (attempt) => attempt.status === 0 || (attempt.status >= 400 && !attempt.blocked),
    ).length;
    const judged = mine.length - errors;
    const hits = mine.filter((attempt) => attempt.hit).length;
    return [
      {
        family,
        n: judged,
        hits,
        rate: judged === 0 ? 0 : Math.round((hits / judged) * 10_000) / 10_000,
        ci95: wilson(hits, judged),
        errors,
      },
    ];
  });
  const attacks = attempts.filter((attempt) => attempt.family !== 'benign');
  return {
    ...meta,
    families,
    totals: {
      attempts: attempts.length,
      attackAttempts: attacks.length,
      attackHits: attacks.filter((attempt) => attempt.hit).length,
    },
    worst: attacks
      .filter((attempt) => attempt.hit)
      .slice(0, 12)
      .map(({ probe, family, prompt, response, reason }) => ({
        probe,
        family,
        prompt: prompt.slice(0, 400),
        response: response.slice(0, 400),
        reason,
      })),
  };
}

const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;

/** A plain-text table; with two reports, side by side per family. */
export function table(reports: readonly RedteamReport[]): string {
  const families = [...new Set(reports.flatMap((report) => report.families.map((f) => f.family)))];
  const header = ['family', ...reports.map((report) => `${report.target} (rate, 95% CI, n)`)];
  const rows = families.map((family) => [
    family === 'benign' ? 'benign (false refusals)' : family,
    ...reports.map((report) => {
      const result = report.families.find((f) => f.family === family);
      return result === undefined
        ? '-'
        : `${percent(result.rate)} [${percent(result.ci95[0])}, ${percent(result.ci95[1])}] n=${String(result.n)}`;
    }),
  ]);
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]): string =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

/** Every markup-significant character as a numeric entity: safe in HTML and in SVG/XML. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${String(char.charCodeAt(0))};`);

/** A self-contained HTML report: a bar chart (SVG) per target with CI whiskers, and the worst examples. */
export function html(reports: readonly RedteamReport[]): string {
  const families = [...new Set(reports.flatMap((report) => report.families.map((f) => f.family)))];
  const colours = ['#c0392b', '#2e86c1'];
  const rowHeight = 18 * reports.length + 10;
  const width = 720;
  const left = 190;
  const scale = (value: number): number => left + value * (width - left - 20);
  const bars = families
    .map((family, row) => {
      const y = 30 + row * rowHeight;
      const label = `<text x="${String(left - 8)}" y="${String(y + 13)}" text-anchor="end" font-size="12">${escapeHtml(family === 'benign' ? 'benign (false refusals)' : family)}</text>`;
      const series = reports
        .map((report, index) => {
          const result = report.families.find((f) => f.family === family);
          if (result === undefined) return '';
          const barY = y + index * 18;
          return `<rect x="${String(left)}" y="${String(barY)}" width="${String(scale(result.rate) - left)}" height="14" fill="${colours[index % colours.length] ?? '#888'}"/><line x1="${String(scale(result.ci95[0]))}" x2="${String(scale(result.ci95[1]))}" y1="${String(barY + 7)}" y2="${String(barY + 7)}" stroke="#000"/><text x="${String(scale(result.rate) + 4)}" y="${String(barY + 11)}" font-size="10">${percent(result.rate)}</text>`;
        })
        .join('');
      return label + series;
    })
    .join('');
  const height = 40 + families.length * rowHeight;
  const legend = reports
    .map(
      (report, index) =>
        `<span style="color:${colours[index % colours.length] ?? '#888'}">■</span> ${escapeHtml(report.target)}`,
    )
    .join(' &nbsp; ');
  const worst = reports
    .map(
      (report) =>
        `<h2>What got through: ${escapeHtml(report.target)}</h2>${report.worst.length === 0 ? '<p>Nothing.</p>' : `<table><tr><th>family</th><th>prompt</th><th>response</th><th>why</th></tr>${report.worst.map((attempt) => `<tr><td>${escapeHtml(attempt.family)}</td><td>${escapeHtml(attempt.prompt)}</td><td>${escapeHtml(attempt.response)}</td><td>${escapeHtml(attempt.reason)}</td></tr>`).join('')}</table>`}`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Guardstream red-team report</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}pre{background:#f4f4f4;padding:8px}</style></head><body><h1>Red-team report</h1><p>Attack success rate per family (bars) with 95% Wilson intervals (whiskers); for the benign set, the false-refusal rate. ${legend}</p><svg width="${String(width)}" height="${String(height)}" role="img" aria-label="attack success rate per family">${bars}</svg><pre>${escapeHtml(table(reports))}</pre>${worst}</body></html>\n`;
}

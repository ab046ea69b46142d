/**
 * Secrets recall on leaky-repo: for every fixture file present, the number of lines with at
 * least one finding against the risky-line count in `.leaky-meta/secrets.csv`.
 * Usage: node --import tsx eval/secrets-leaky-repo.ts → eval/results/secrets-leaky-repo.json
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretsDetector } from '../src/detectors/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { datasetsDir } from './datasets.ts';

const root = join(datasetsDir(), 'leaky-repo');
const counts = readFileSync(join(root, '.leaky-meta/secrets.csv'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .map((line) => line.split(','))
  .map(([file, risk, informative]) => ({
    file: file ?? '',
    risk: Number(risk),
    informative: Number(informative),
  }));

// With gitleaks' rules (on in the default policies but at ingest): every pattern the product has.
const config = secretsDetector.configSchema.parse({ gitleaks: true });
const rows = [];
for (const { file, risk, informative } of counts) {
  const path = join(root, file);
  if (!existsSync(path)) continue;
  const text = readFileSync(path, 'utf8');
  const findings = secretsDetector.detect(text, config, { stage: 'ingest' });
  const lineStarts = [0];
  for (let index = 0; index < text.length; index += 1)
    if (text[index] === '\n') lineStarts.push(index + 1);
  const lineOf = (offset: number): number => {
    let line = 0;
    while (line + 1 < lineStarts.length && (lineStarts[line + 1] ?? Infinity) <= offset) line += 1;
    return line + 1;
  };
  const flagged = new Set(findings.map((finding) => lineOf(finding.span?.start ?? 0)));
  rows.push({
    file,
    riskyLines: risk,
    informativeLines: informative,
    flaggedLines: flagged.size,
    allRiskFound: flagged.size >= risk,
    kinds: [...new Set(findings.map((f) => f.kind))],
  });
}
const summary = {
  files: rows.length,
  riskyLines: rows.reduce((sum, row) => sum + row.riskyLines, 0),
  filesWithAllRiskFound: rows.filter((row) => row.allRiskFound).length,
  rows,
};
writeFileSync(
  join(packageRoot(), 'eval/results/secrets-leaky-repo.json'),
  `${JSON.stringify(summary, null, 2)}\n`,
);
for (const row of rows) {
  console.log(
    `${row.allRiskFound ? 'ok  ' : 'MISS'} ${row.file.padEnd(30)} risky ${row.riskyLines}  informative ${row.informativeLines}  flagged ${row.flaggedLines}  ${row.kinds.join(',')}`,
  );
}
console.log(`${summary.filesWithAllRiskFound}/${summary.files} files with every risky line found`);

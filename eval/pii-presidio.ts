/**
 * PII recall and precision per structured type on presidio-research's synthetic data.
 * Usage: node --import tsx eval/pii-presidio.ts  → eval/results/pii-presidio.json
 *
 * A gold span is recalled when a finding of the mapped kind overlaps it; a finding is precise
 * when it overlaps a gold span of its mapped type. The detector's patterns were written from the
 * formats' specifications, not fitted to these files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { piiDetector, piiKinds } from '../src/detectors/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { datasetsDir } from './datasets.ts';

interface PresidioRecord {
  full_text: string;
  spans: { entity_type: string; start_position: number; end_position: number }[];
}

const typeToKind: Readonly<Record<string, string>> = {
  EMAIL_ADDRESS: 'email',
  PHONE_NUMBER: 'phone',
  CREDIT_CARD: 'credit_card',
  IBAN_CODE: 'iban',
  US_SSN: 'us_ssn',
  IP_ADDRESS: 'ip_address',
  PERSON: 'person_name',
};

const files = {
  synth_dataset_v2: 'presidio-research/data/synth_dataset_v2.json',
  generated_large: 'presidio-research/tests/data/generated_large.json',
};

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean =>
  a.start < b.end && b.start < a.end;

// Every kind, the opt-in person names included.
const config = piiDetector.configSchema.parse({ kinds: [...piiKinds] });
const results: Record<
  string,
  Record<
    string,
    {
      gold: number;
      recalled: number;
      predicted: number;
      precise: number;
      recall: number;
      precision: number;
    }
  >
> = {};
for (const [name, path] of Object.entries(files)) {
  const records = JSON.parse(readFileSync(join(datasetsDir(), path), 'utf8')) as PresidioRecord[];
  const tally = new Map<
    string,
    { gold: number; recalled: number; predicted: number; precise: number }
  >();
  for (const kind of Object.values(typeToKind))
    tally.set(kind, { gold: 0, recalled: 0, predicted: 0, precise: 0 });
  for (const record of records) {
    const findings = piiDetector.detect(record.full_text, config, { stage: 'ingest' });
    const gold = record.spans
      .map((span) => ({
        kind: typeToKind[span.entity_type],
        start: span.start_position,
        end: span.end_position,
      }))
      .filter(
        (span): span is { kind: string; start: number; end: number } => span.kind !== undefined,
      );
    for (const span of gold) {
      const entry = tally.get(span.kind);
      if (entry === undefined) continue;
      entry.gold += 1;
      if (
        findings.some(
          (finding) =>
            finding.kind === span.kind &&
            finding.span !== undefined &&
            overlaps(finding.span, span),
        )
      ) {
        entry.recalled += 1;
      }
    }
    for (const finding of findings) {
      const entry = tally.get(finding.kind);
      if (entry === undefined || finding.span === undefined) continue;
      const span = finding.span;
      entry.predicted += 1;
      if (gold.some((goldSpan) => goldSpan.kind === finding.kind && overlaps(goldSpan, span)))
        entry.precise += 1;
    }
  }
  results[name] = Object.fromEntries(
    [...tally].map(([kind, t]) => [
      kind,
      {
        ...t,
        recall: t.gold === 0 ? 1 : t.recalled / t.gold,
        precision: t.predicted === 0 ? 1 : t.precise / t.predicted,
      },
    ]),
  );
}
const out = join(packageRoot(), 'eval/results/pii-presidio.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
for (const [name, byKind] of Object.entries(results)) {
  console.log(`\n${name}`);
  console.log('kind          gold  recall  precision');
  for (const [kind, r] of Object.entries(byKind)) {
    console.log(
      `${kind.padEnd(13)} ${String(r.gold).padStart(4)}  ${r.recall.toFixed(3)}   ${r.precision.toFixed(3)}  (pred ${r.predicted})`,
    );
  }
}
console.log(`\nwrote ${out}`);

export { parseCsv } from './csv.ts';
export { attackFamilies, buildProbes, probeFamilies, seededRandom } from './probes.ts';
export type {
  AttackFamily,
  JudgeSpec,
  PlantedDocument,
  Probe,
  ProbeFamily,
  ProbeOptions,
} from './probes.ts';
export { plantDocuments, removePlantedDocuments } from './plant.ts';
export { Judges } from './judges.ts';
export type { TargetAnswer, Verdict } from './judges.ts';
export { ask, runProbes } from './runner.ts';
export type { Attempt, RunOptions, Target } from './runner.ts';
export { escapeHtml, html, summarise, table, wilson } from './report.ts';
export type { FamilyResult, RedteamReport } from './report.ts';

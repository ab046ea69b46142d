import { readFileSync } from 'node:fs';
import RE2 from 're2';
import { shannonEntropy } from './checksums.ts';

/**
 * gitleaks' default rules (src/detectors/models/gitleaks-rules.json, written by
 * scripts/import-gitleaks.py), run the way gitleaks runs them on a file's text: a rule is tried
 * only when one of its keywords occurs, its secret is its secret group (or first non-empty
 * group), a rule with an entropy floor drops secrets below it, and the global and rule
 * allowlists drop what they name. The expressions are gitleaks', in Go's RE2 syntax, so they run
 * on RE2: linear time on any input, unlike the backtracking engine of JavaScript.
 */

interface AllowlistFile {
  regexes: string[];
  regexTarget?: string;
  stopwords: string[];
}

interface RuleFile {
  id: string;
  description: string;
  regex: string;
  keywords: string[];
  entropy?: number;
  secretGroup?: number;
  allowlists: AllowlistFile[];
}

interface RulesFile {
  provenance: Record<string, unknown>;
  allowlist: { regexes: string[]; stopwords: string[] };
  rules: RuleFile[];
}

interface Allowlist {
  regexes: RE2[];
  target: 'secret' | 'match' | 'line';
  stopwords: string[];
}

interface Rule {
  id: string;
  pattern: RE2;
  entropy: number;
  secretGroup: number;
  allowlists: Allowlist[];
}

export interface GitleaksRules {
  rules: Rule[];
  /** One pattern per keyword, matched together in one pass. */
  keywords: InstanceType<typeof RE2.Set>;
  /** For each keyword of `keywords`, the rules it opens. */
  rulesOfKeyword: number[][];
  global: Allowlist;
}

export interface GitleaksMatch {
  ruleId: string;
  start: number;
  end: number;
  secret: string;
}

const escape = (literal: string): string => literal.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

function allowlist(file: AllowlistFile): Allowlist {
  const target =
    file.regexTarget === 'match' || file.regexTarget === 'line' ? file.regexTarget : 'secret';
  return {
    regexes: file.regexes.map((source) => new RE2(source)),
    target,
    stopwords: file.stopwords.map((word) => word.toLowerCase()),
  };
}

export function loadGitleaksRules(path: string): GitleaksRules {
  const file = JSON.parse(readFileSync(path, 'utf8')) as RulesFile;
  const keywordIndex = new Map<string, number>();
  const rulesOfKeyword: number[][] = [];
  const rules = file.rules.map((rule, ruleIndex): Rule => {
    for (const keyword of rule.keywords) {
      let index = keywordIndex.get(keyword);
      if (index === undefined) {
        index = keywordIndex.size;
        keywordIndex.set(keyword, index);
        rulesOfKeyword.push([]);
      }
      rulesOfKeyword[index]?.push(ruleIndex);
    }
    return {
      id: rule.id,
      pattern: new RE2(rule.regex, 'g'),
      entropy: rule.entropy ?? 0,
      secretGroup: rule.secretGroup ?? 0,
      allowlists: rule.allowlists.map(allowlist),
    };
  });
  return {
    rules,
    keywords: new RE2.Set([...keywordIndex.keys()].map(escape), 'i'),
    rulesOfKeyword,
    global: allowlist({ ...file.allowlist, regexTarget: 'secret' }),
  };
}

function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const to = text.indexOf('\n', end);
  return text.slice(from, to === -1 ? text.length : to);
}

function allowed(list: Allowlist, secret: string, match: string, line: () => string): boolean {
  const target = list.target === 'match' ? match : list.target === 'line' ? line() : secret;
  if (list.regexes.some((pattern) => pattern.test(target))) return true;
  const lower = secret.toLowerCase();
  return list.stopwords.some((word) => lower.includes(word));
}

export function gitleaksMatches(text: string, compiled: GitleaksRules): GitleaksMatch[] {
  // RE2 works on UTF-8: converting once here, not on every rule's call, is most of its cost.
  const bytes = Buffer.from(text, 'utf8');
  const opened = new Set<number>();
  for (const keyword of compiled.keywords.match(bytes))
    for (const rule of compiled.rulesOfKeyword[keyword] ?? []) opened.add(rule);
  if (opened.size === 0) return [];
  // The UTF-16 offset of a UTF-8 byte offset of `bytes`. A rule's matches come in order, so
  // only the bytes since the last one are decoded: thousands of matches in a long text must not
  // each decode it from the start.
  const ascii = bytes.length === text.length;
  let seenByte = 0;
  let seenOffset = 0;
  const offset = (byte: number): number => {
    if (ascii) return byte;
    if (byte < seenByte) {
      seenByte = 0;
      seenOffset = 0;
    }
    seenOffset += bytes.toString('utf8', seenByte, byte).length;
    seenByte = byte;
    return seenOffset;
  };
  const found: GitleaksMatch[] = [];
  for (const ruleIndex of [...opened].sort((a, b) => a - b)) {
    const rule = compiled.rules[ruleIndex];
    if (rule === undefined) continue;
    rule.pattern.lastIndex = 0;
    for (let match = rule.pattern.exec(bytes); match !== null; match = rule.pattern.exec(bytes)) {
      const whole = match[0];
      if (whole.length === 0) {
        rule.pattern.lastIndex += 1;
        continue;
      }
      // A group that took no part in the match is undefined, whatever the type says.
      const parts = match as unknown as ArrayLike<Buffer | undefined>;
      const groups = Array.from({ length: parts.length - 1 }, (_, index) => {
        const group = parts[index + 1];
        return group === undefined ? '' : group.toString('utf8');
      });
      const matchText = whole.toString('utf8');
      const secret =
        rule.secretGroup > 0
          ? (groups[rule.secretGroup - 1] ?? '')
          : (groups.find((group) => group !== '') ?? matchText);
      if (secret === '') continue;
      if (rule.entropy > 0 && shannonEntropy(secret) < rule.entropy) continue;
      const matchStart = offset(match.index);
      const start = matchStart + matchText.lastIndexOf(secret);
      const end = start + secret.length;
      const line = (): string => lineAround(text, matchStart, matchStart + matchText.length);
      if (allowed(compiled.global, secret, matchText, line)) continue;
      if (rule.allowlists.some((list) => allowed(list, secret, matchText, line))) continue;
      found.push({ ruleId: rule.id, start, end, secret });
    }
  }
  return found;
}

import { z } from 'zod';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

/** Browsers drop tabs and newlines inside a URL scheme: `java\tscript:` still runs. */
function scheme(word: string): string {
  return Array.from(word, (letter) => letter).join('[\\t\\n\\r]{0,3}');
}

/**
 * Markup that runs code when an answer is rendered as HTML (chat UIs that render Markdown pass
 * raw HTML through more often than their authors think). Fixed patterns with bounded repeats:
 * every quantifier has a ceiling, so a hostile answer cannot make matching slow.
 */
const patterns: readonly { kind: string; pattern: RegExp; what: string; score: number }[] = [
  {
    kind: 'script_element',
    pattern: /<\s{0,5}\/?\s{0,5}script\b[^>]{0,500}>?/gi,
    what: 'a <script> element',
    score: 0.99,
  },
  {
    kind: 'event_handler',
    // An on* attribute inside a tag: `<img src=x onerror=…>`, `<svg/onload=…>`.
    pattern: /<[a-z][a-z0-9-]{0,30}\b[^<>]{0,500}?[\s/"']on[a-z]{3,30}\s{0,5}=[^>]{0,500}>?/gi,
    what: 'an inline event handler attribute',
    score: 0.97,
  },
  {
    kind: 'script_url',
    // In an attribute or a Markdown link target, after entities are decoded.
    pattern: new RegExp(
      `(?:(?:href|src|action|formaction|data|xlink:href)\\s{0,5}=\\s{0,5}["']?|\\]\\(\\s{0,5}<?)\\s{0,5}(?:${scheme('javascript')}|${scheme('vbscript')}|data\\s{0,5}:\\s{0,5}text/html)\\s{0,5}:?`,
      'gi',
    ),
    what: 'a script or HTML data URL in a link or resource',
    score: 0.97,
  },
  {
    kind: 'attribute_breakout',
    // A Markdown link target that closes the attribute it will be written into and opens an
    // event handler: `[x]("onerror="alert(1))`, for renderers that copy the target as is.
    pattern: /\]\(\s{0,5}["'][^)\s]{0,200}?\bon[a-z]{3,30}\s{0,5}=/gi,
    what: 'a link target that breaks out of its attribute into an event handler',
    score: 0.9,
  },
  {
    kind: 'css_expression',
    // Old Internet Explorer ran `expression(…)` in a style attribute.
    pattern: /\bstyle\s{0,5}=\s{0,5}["'][^"'>]{0,300}?expression\s{0,5}\(/gi,
    what: 'a CSS expression() in a style attribute',
    score: 0.9,
  },
  {
    kind: 'embedding_element',
    pattern:
      /<\s{0,5}(?:iframe|frame|object|embed|applet|base|meta\s[^>]{0,200}http-equiv)\b[^>]{0,500}>?/gi,
    what: 'an element that embeds or redirects to other content',
    score: 0.9,
  },
];

const ENTITY = /&#(?:x([0-9a-f]{1,6})|([0-9]{1,7}));?|&(tab|newline|colon);/gi;

/**
 * Decodes `&#106;`, `&#x6A;`, `&colon;`-style references, which browsers decode inside attributes,
 * and keeps a map from each decoded character back to its offset in the original text.
 */
function decodeEntities(text: string): { decoded: string; origin: number[] } {
  let decoded = '';
  const origin: number[] = [];
  let last = 0;
  const copy = (from: number, to: number): void => {
    for (let index = from; index < to; index += 1) {
      decoded += text.charAt(index);
      origin.push(index);
    }
  };
  for (const match of text.matchAll(ENTITY)) {
    copy(last, match.index);
    const [whole, hex, dec, named] = match;
    let char: string | undefined;
    if (named !== undefined) char = named.toLowerCase() === 'colon' ? ':' : '\t';
    else {
      const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(dec);
      if (code > 0 && code <= 0x10ffff) char = String.fromCodePoint(code);
    }
    if (char === undefined) copy(match.index, match.index + whole.length);
    else {
      decoded += char;
      for (let unit = 0; unit < char.length; unit += 1) origin.push(match.index);
    }
    last = match.index + whole.length;
  }
  copy(last, text.length);
  origin.push(text.length);
  return { decoded, origin };
}

export const activeContentDetector = defineDetector({
  meta: {
    name: 'active_content',
    description:
      'Executable markup in text that may be rendered as HTML: <script> elements, inline event handlers (onerror=…), javascript:/vbscript:/data:text/html URLs, and iframe/object/embed/meta-refresh elements.',
    stages: ['output', 'retrieval', 'ingest'],
    cost: 'cheap',
    kinds: patterns.map((entry) => entry.kind),
  },
  configSchema: z.strictObject({}),
  detect(text): Finding[] {
    // Every pattern needs a tag, a scheme's colon, an entity or a Markdown link target.
    if (!/[<:&]|\]\(/.test(text)) return [];
    const { decoded, origin } = decodeEntities(text);
    const findings: Finding[] = [];
    for (const { kind, pattern, what, score } of patterns) {
      for (const match of decoded.matchAll(pattern)) {
        const end = match.index + match[0].length;
        findings.push({
          detector: 'active_content',
          kind,
          span: {
            start: origin[match.index] ?? 0,
            end: end >= decoded.length ? text.length : (origin[end] ?? text.length),
          },
          score,
          evidence: what,
        });
      }
    }
    return findings;
  },
});

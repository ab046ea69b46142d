const ESCAPED: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
};

/**
 * A text held as a JSON or C string literal ("Steps:\n1. Open…"), as tool results and exported
 * issue texts often are, with its escapes decoded. The word-piece tokenizer reads "\nExpected"
 * as "\" and "nexpected", pieces no training text holds, and the heads took such texts for
 * attacks (SWE-Lancer's issue texts, 2026-11-27). Only a text with at least two literal "\n" and
 * more of them than real line breaks is decoded, so code quoting one escape is read as written.
 */
export function decodedStringEscapes(text: string): string {
  const literal = text.match(/(?<!\\)\\n/g)?.length ?? 0;
  if (literal < 2 || literal <= (text.match(/\n/g)?.length ?? 0)) return text;
  return text.replace(/\\([nrt"\\])/g, (escape, letter: string) => ESCAPED[letter] ?? escape);
}

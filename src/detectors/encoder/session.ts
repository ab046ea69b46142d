/**
 * What both encoder threads load: a tokenizer for the pinned model and an ONNX Runtime session
 * over its patched bytes, one thread each (the caller's thread pool is the process's cores).
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { InferenceSession } from 'onnxruntime-node';

export interface PieceTokenizer {
  encode(
    text: string,
    options: { add_special_tokens: boolean },
  ): { ids: number[]; tokens: string[] };
}

export async function loadPatchedSession(
  model: Uint8Array,
  tokenizerPath: string,
): Promise<{ tokenizer: PieceTokenizer; session: InferenceSession }> {
  // The package's bundled typings do not resolve under NodeNext; this is the part we use.
  const TokenizerClass = Tokenizer as unknown as new (
    json: object,
    config: object,
  ) => PieceTokenizer;
  const tokenizer = new TokenizerClass(
    JSON.parse(readFileSync(tokenizerPath, 'utf8')) as object,
    {},
  );
  const session = await InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return { tokenizer, session };
}

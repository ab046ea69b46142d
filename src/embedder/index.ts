import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { GuardstreamError } from '../errors/index.ts';
import {
  SENTENCE_EMBEDDER_ID,
  defaultModelsDir,
  modelFilePath,
  tokenWindows,
} from '../models/index.ts';

export const EMBEDDING_MODEL = SENTENCE_EMBEDDER_ID;

export interface EmbedderOptions {
  /** The model cache (default `.guardstream/models`). */
  modelsDir?: string;
  /**
   * Texts per ONNX run (default 1). The int8 model quantises activations per tensor, so texts
   * run together shift each other's vectors (measured: cosine 0.981–0.993 to the text alone for
   * batches of 2–4 short sentences). With 1, a text always gets the same vector, which keeps
   * replays idempotent and queries comparable with documents; raise it only for throughput.
   */
  batchSize?: number;
  /** ONNX Runtime threads for one run (default 1: callers parallelise across texts). */
  intraOpThreads?: number;
}

interface WordPieceTokenizer {
  encode(text: string): { ids: number[] };
}

interface TokenizerJson {
  truncation?: { max_length?: number } | null;
}

/** Word pieces between the starts of two windows of a long text (a quarter of them overlap). */
const WINDOW_STRIDE = 96;

/**
 * Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX): WordPiece tokens, the transformer,
 * mean pooling over real tokens, L2 normalisation, so a dot product is the cosine similarity.
 * `embed` cuts a text longer than the model's window (128 tokens, from its tokenizer) to its
 * start: chunk before embedding, or use `embedWindows`.
 */
export class Embedder {
  readonly dimensions = 384;
  readonly maxTokens: number;

  private constructor(
    private readonly session: InferenceSession,
    private readonly tokenizer: WordPieceTokenizer,
    maxTokens: number,
    private readonly batchSize: number,
  ) {
    this.maxTokens = maxTokens;
  }

  static async load(options: EmbedderOptions = {}): Promise<Embedder> {
    const dir = options.modelsDir ?? defaultModelsDir();
    const modelPath = modelFilePath(EMBEDDING_MODEL, 'model.onnx', dir);
    const tokenizerPath = modelFilePath(EMBEDDING_MODEL, 'tokenizer.json', dir);
    const tokenizerJson = JSON.parse(readFileSync(tokenizerPath, 'utf8')) as TokenizerJson;
    // The package's bundled typings do not resolve under NodeNext; this is the part we use.
    const TokenizerClass = Tokenizer as unknown as new (
      json: object,
      config: object,
    ) => WordPieceTokenizer;
    const tokenizer = new TokenizerClass(tokenizerJson, {});
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(modelPath, {
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (cause) {
      throw new GuardstreamError('GS_ERR_MODEL_INTEGRITY', {
        message: `Could not load ${join(dir, EMBEDDING_MODEL)} with ONNX Runtime`,
        cause,
      });
    }
    return new Embedder(
      session,
      tokenizer,
      tokenizerJson.truncation?.max_length ?? 128,
      options.batchSize ?? 1,
    );
  }

  /** Token ids with [CLS] … [SEP], cut to the model's window. */
  tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.maxTokens) return ids;
    const sep = ids[ids.length - 1] ?? 102;
    return [...ids.slice(0, this.maxTokens - 1), sep];
  }

  /** One unit vector per text, in order; a text past the window is cut to its start. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return this.embedTokenized(texts.map((text) => this.tokenize(text)));
  }

  /**
   * One unit vector per window of the whole text (windows of the model's width, 96 word pieces
   * apart, at most `maxWindows`: see tokenWindows), so what a long text says at its end is
   * embedded too.
   */
  async embedWindows(text: string, maxWindows: number): Promise<Float32Array[]> {
    const ids = this.tokenizer.encode(text).ids;
    const [cls = 101] = ids;
    const sep = ids.at(-1) ?? 102;
    const pieces = ids.slice(1, -1);
    const windows = tokenWindows(pieces, this.maxTokens - 2, WINDOW_STRIDE, maxWindows);
    return this.embedTokenized(windows.map((window) => [cls, ...window, sep]));
  }

  private async embedTokenized(tokenized: readonly number[][]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < tokenized.length; start += this.batchSize) {
      vectors.push(...(await this.embedBatch(tokenized.slice(start, start + this.batchSize))));
    }
    return vectors;
  }

  private async embedBatch(tokenized: readonly number[][]): Promise<Float32Array[]> {
    const width = Math.max(1, ...tokenized.map((ids) => ids.length));
    const size = tokenized.length * width;
    const inputIds = new BigInt64Array(size);
    const attention = new BigInt64Array(size);
    const typeIds = new BigInt64Array(size);
    tokenized.forEach((ids, row) => {
      ids.forEach((id, column) => {
        inputIds[row * width + column] = BigInt(id);
        attention[row * width + column] = 1n;
      });
    });
    const shape = [tokenized.length, width];
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', inputIds, shape),
      attention_mask: new Tensor('int64', attention, shape),
      token_type_ids: new Tensor('int64', typeIds, shape),
    };
    const inputs = Object.fromEntries(
      this.session.inputNames.flatMap((name) => {
        const tensor = feeds[name];
        return tensor === undefined ? [] : [[name, tensor]];
      }),
    );
    const results = await this.session.run(inputs);
    const outputName = this.session.outputNames[0] ?? 'last_hidden_state';
    const hidden = results[outputName];
    if (hidden === undefined) {
      throw new GuardstreamError('GS_ERR_INTERNAL', { message: 'embedding model gave no output' });
    }
    const data = hidden.data as Float32Array;
    const dims = this.dimensions;
    return tokenized.map((ids, row) => {
      const vector = new Float32Array(dims);
      for (let column = 0; column < ids.length; column += 1) {
        const offset = (row * width + column) * dims;
        for (let d = 0; d < dims; d += 1) vector[d] = (vector[d] ?? 0) + (data[offset + d] ?? 0);
      }
      let norm = 0;
      for (let d = 0; d < dims; d += 1) {
        const mean = (vector[d] ?? 0) / ids.length;
        vector[d] = mean;
        norm += mean * mean;
      }
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dims; d += 1) vector[d] = (vector[d] ?? 0) * scale;
      return vector;
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Dot product of two unit vectors: their cosine similarity. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index += 1) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}

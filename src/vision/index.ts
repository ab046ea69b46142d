import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { createWorker } from 'tesseract.js';
import type { Worker } from 'tesseract.js';
import { GuardstreamError } from '../errors/index.ts';
import { modelFilePath } from '../models/index.ts';

/** The OCR model's id in the model cache (`guardstream models fetch tesseract-eng`). */
export const OCR_MODEL_ID = 'tesseract-eng';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'bmp';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

const u16be = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
const u16le = (bytes: Uint8Array, at: number): number =>
  (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
const u24le = (bytes: Uint8Array, at: number): number =>
  u16le(bytes, at) | ((bytes[at + 2] ?? 0) << 16);
const u32be = (bytes: Uint8Array, at: number): number =>
  u16be(bytes, at) * 65_536 + u16be(bytes, at + 2);
const ascii = (bytes: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + length));

function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    // Start-of-frame markers carry the size; C4 (Huffman), C8 and CC (arithmetic) do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: u16be(bytes, at + 5), width: u16be(bytes, at + 7) };
    at += 2 + u16be(bytes, at + 2);
  }
  return undefined;
}

/**
 * Format and size from the file's header, before any decoder runs: a small file can declare
 * a huge image (a decompression bomb), and the size is what bounds the OCR's memory and time.
 */
export function imageInfo(bytes: Uint8Array): ImageInfo | undefined {
  if (bytes.length >= 24 && ascii(bytes, 1, 3) === 'PNG' && ascii(bytes, 12, 4) === 'IHDR')
    return { format: 'png', width: u32be(bytes, 16), height: u32be(bytes, 20) };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const size = jpegSize(bytes);
    return size === undefined ? undefined : { format: 'jpeg', ...size };
  }
  if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM')
    return {
      format: 'bmp',
      width: Math.abs(new DataView(bytes.buffer, bytes.byteOffset + 18, 4).getInt32(0, true)),
      height: Math.abs(new DataView(bytes.buffer, bytes.byteOffset + 22, 4).getInt32(0, true)),
    };
  if (bytes.length >= 30 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    const chunk = ascii(bytes, 12, 4);
    if (chunk === 'VP8 ')
      return {
        format: 'webp',
        width: u16le(bytes, 26) & 0x3fff,
        height: u16le(bytes, 28) & 0x3fff,
      };
    if (chunk === 'VP8L') {
      const [b1, b2, b3, b4] = [bytes[21] ?? 0, bytes[22] ?? 0, bytes[23] ?? 0, bytes[24] ?? 0];
      return {
        format: 'webp',
        width: 1 + (b1 | ((b2 & 0x3f) << 8)),
        height: 1 + ((b2 >> 6) | (b3 << 2) | ((b4 & 0x0f) << 10)),
      };
    }
    if (chunk === 'VP8X')
      return { format: 'webp', width: 1 + u24le(bytes, 24), height: 1 + u24le(bytes, 27) };
  }
  return undefined;
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]{1,40});base64,/i;

/** The bytes of a `data:image/…;base64,` URL, or undefined for any other URL. */
export function dataUrlBytes(url: string): Buffer | undefined {
  const match = DATA_URL.exec(url);
  if (match === null) return undefined;
  return Buffer.from(url.slice(match[0].length), 'base64');
}

export interface ImageTextReaderOptions {
  /** The model cache (default `.guardstream/models`). */
  modelsDir?: string;
  /** Longest an image may take to read; past it the reader is restarted and the read fails. */
  timeoutMs: number;
  /** Largest image, in pixels, that is decoded at all. */
  maxPixels: number;
  /** Texts of images already read, kept by the image's sha256 (agents re-send their history). */
  cacheEntries: number;
  /** Reads waiting at most; past it a read is refused as rate-limited (default: unbounded). */
  maxQueued?: number;
}

/**
 * Reads the text in images (Tesseract 5's LSTM English model, compiled to WebAssembly by
 * tesseract.js, on one worker thread), so the rails can read what a picture says. Reads are
 * queued: one image at a time.
 */
export class ImageTextReader {
  private worker: Promise<Worker> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private readonly cache = new Map<string, string>();
  private closed = false;

  private constructor(
    private readonly langPath: string,
    private readonly options: ImageTextReaderOptions,
  ) {}

  /** Checks the model is in the cache and starts the worker. */
  static async load(options: ImageTextReaderOptions): Promise<ImageTextReader> {
    const model = modelFilePath(OCR_MODEL_ID, 'eng.traineddata.gz', options.modelsDir);
    const reader = new ImageTextReader(dirname(model), options);
    await reader.start();
    return reader;
  }

  private start(): Promise<Worker> {
    this.worker ??= createWorker('eng', 1, {
      langPath: this.langPath,
      cacheMethod: 'none',
      gzip: true,
      logger: () => undefined,
      errorHandler: () => undefined,
    });
    return this.worker;
  }

  /** The text an image holds, or a GS_ERR_INVALID_REQUEST for what is not a readable image. */
  read(bytes: Buffer): Promise<string> {
    const info = imageInfo(bytes);
    if (info === undefined) {
      return Promise.reject(
        new GuardstreamError('GS_ERR_INVALID_REQUEST', {
          message: 'The image is not a PNG, JPEG, WebP or BMP file Guardstream can read',
        }),
      );
    }
    if (
      info.width * info.height > this.options.maxPixels ||
      info.width === 0 ||
      info.height === 0
    ) {
      return Promise.reject(
        new GuardstreamError('GS_ERR_INVALID_REQUEST', {
          message: `The image is ${String(info.width)}×${String(info.height)} pixels; at most ${String(this.options.maxPixels)} are read`,
        }),
      );
    }
    const key = createHash('sha256').update(bytes).digest('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return Promise.resolve(cached);
    }
    if (this.waiting >= (this.options.maxQueued ?? Number.POSITIVE_INFINITY)) {
      return Promise.reject(
        new GuardstreamError('GS_ERR_RATE_LIMITED', {
          message: `${String(this.waiting)} images are waiting to be read; try again shortly`,
        }),
      );
    }
    this.waiting += 1;
    const job = this.queue
      .then(() => this.recognize(bytes, key))
      .finally(() => {
        this.waiting -= 1;
      });
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async recognize(bytes: Buffer, key: string): Promise<string> {
    if (this.closed) throw new GuardstreamError('GS_ERR_INTERNAL', { message: 'reader closed' });
    const worker = await this.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new GuardstreamError('GS_ERR_GUARD_BLOCKED', {
            message: `Reading the image took longer than ${String(this.options.timeoutMs)} ms; unread, it is refused`,
          }),
        );
      }, this.options.timeoutMs);
    });
    try {
      const job = worker.recognize(bytes);
      // A job cut short by the timeout may still settle, or fail when its worker is terminated.
      job.catch(() => undefined);
      const result = await Promise.race([job, timeout]);
      const text = result.data.text;
      if (this.options.cacheEntries > 0) {
        this.cache.set(key, text);
        if (this.cache.size > this.options.cacheEntries) {
          const oldest = this.cache.keys().next().value;
          if (oldest !== undefined) this.cache.delete(oldest);
        }
      }
      return text;
    } catch (cause) {
      // A worker that timed out or failed is still busy or broken: replace it.
      this.worker = undefined;
      void worker.terminate().catch(() => undefined);
      if (cause instanceof GuardstreamError) throw cause;
      throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
        message: 'The image could not be decoded',
        cause,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await (await worker).terminate();
  }
}

import { compress as zstdCompress, init as loadZstdEncoder } from '@bokuweb/zstd-wasm';
import { compressionsAlgorithms } from '@platformatic/kafka';
import type { CompressionAlgorithmSpecification } from '@platformatic/kafka';
import { decompress as zstdDecompress } from 'fzstd';

/** The library hands a codec a Buffer, or its growable buffer type holding one. */
const bytesOf = (
  data: Parameters<CompressionAlgorithmSpecification['decompressSync']>[0],
): Buffer => (Buffer.isBuffer(data) ? data : data.buffer);

/** The header the Java client's snappy stream starts with (xerial snappy-java framing). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, then a version and a minimum compatible version, 4 bytes each. */
const XERIAL_HEADER_BYTES = 16;

let patched = false;
/** The level the Java client writes zstd at by default (`compression.zstd.level`). */
const ZSTD_LEVEL = 3;
let zstdWriter: Promise<void> | undefined;

/**
 * Lets this process read record batches that other producers compressed, as the Java client
 * and librdkafka write them. The client library (`@platformatic/kafka` 1.x) could not, and one
 * such batch failed every fetch of its partition, stopping the consumer:
 *
 * - zstd: the library decompresses with node:zlib, whose zstd arrived in Node 22.15; on Node 20
 *   it threw "zstd is not supported". Decompression falls back to fzstd, a pure-JavaScript
 *   decoder; writing it is `writeZstd`'s.
 * - snappy: the Java client writes snappy-java's framed stream (a header, then length-prefixed
 *   raw blocks), which the library handed whole to a raw snappy decoder (a WebAssembly trap,
 *   "unreachable"). A framed stream is now unframed block by block; raw snappy, as other
 *   clients write it, is decoded as before.
 *
 * Idempotent. Called by every consumer this package makes.
 */
export function readForeignCodecs(): void {
  if (patched) return;
  patched = true;
  const zstd: CompressionAlgorithmSpecification = compressionsAlgorithms.zstd;
  if (zstd.available !== true) {
    zstd.decompressSync = (data) => {
      const plain = zstdDecompress(bytesOf(data));
      return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
    };
  }
  const snappy: CompressionAlgorithmSpecification = compressionsAlgorithms.snappy;
  const rawSnappy = snappy.decompressSync;
  snappy.decompressSync = (data) => {
    const bytes = bytesOf(data);
    if (!isXerialFramed(bytes)) return rawSnappy(bytes);
    const blocks: Buffer[] = [];
    let position = XERIAL_HEADER_BYTES;
    while (position + 4 <= bytes.length) {
      const length = bytes.readInt32BE(position);
      position += 4;
      if (length < 0 || position + length > bytes.length) {
        throw new RangeError('a snappy-java block runs past the end of the batch');
      }
      blocks.push(rawSnappy(bytes.subarray(position, position + length)));
      position += length;
    }
    return Buffer.concat(blocks);
  };
}

function isXerialFramed(bytes: Buffer): boolean {
  return (
    bytes.length >= XERIAL_HEADER_BYTES &&
    bytes.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)
  );
}

/**
 * Lets this process's producers write zstd (`kafka.compression: zstd`), the codec that packed
 * our test records smallest. On Node 20 the client library's zstd compressor is node:zlib's,
 * which has none; the batch is compressed instead by zstd's own C library built to WebAssembly
 * (`@bokuweb/zstd-wasm`, no native build), at the Java client's default level. The module loads
 * asynchronously once, so a producer awaits this before its first send. Idempotent.
 */
export function writeZstd(): Promise<void> {
  zstdWriter ??= (async () => {
    const zstd: CompressionAlgorithmSpecification = compressionsAlgorithms.zstd;
    if (zstd.available === true) return;
    await loadZstdEncoder();
    zstd.compressSync = (data) => {
      const packed = zstdCompress(bytesOf(data), ZSTD_LEVEL);
      return Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
    };
    zstd.available = true;
  })();
  return zstdWriter;
}

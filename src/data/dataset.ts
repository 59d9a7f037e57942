/** Labelled images kept as bytes; a batch takes only their non-zero pixels, normalized. */

import type { SparseRows } from "../nn/linalg/sparse-rows";
import { IdxFormatError, type IdxImages } from "./mnist";

/** Images as bytes (one `pixelsPerImage` run each) and one label 0–9 per image. */
export interface Dataset {
  count: number;
  pixelsPerImage: number;
  images: Uint8Array;
  labels: Uint8Array;
  /** The non-zero pixels of its first images, found once (an experiment's training images, see withNonZeros). */
  nonZeros?: NonZeroPixels;
}

/** Each image's non-zero pixels, image after image: column and byte, 3 bytes a pixel. */
export interface NonZeroPixels {
  /** Images covered: the first `count` of the dataset. */
  count: number;
  /** Image i's pixels are at start[i] … start[i + 1] − 1. */
  start: Int32Array;
  columns: Uint16Array;
  bytes: Uint8Array;
}

/** Most images whose non-zero pixels an experiment keeps (at worst 3 bytes × 784 each: 4.7 MB). */
export const NON_ZERO_IMAGES_MAX = 2000;

/**
 * `data` with the non-zero pixels of its first `count` images found once, when they are few enough
 * (NON_ZERO_IMAGES_MAX): every later batch and evaluation copies them instead of reading every
 * pixel (a batch of a tiny experiment gathers 5× faster). The bytes stay shared.
 */
export function withNonZeros(data: Dataset, count: number): Dataset {
  const d = data.pixelsPerImage;
  if (count > NON_ZERO_IMAGES_MAX || d > 1 << 16) return data;
  const { images } = data;
  let total = 0;
  for (let i = 0; i < count * d; i++) total += +(images[i] !== 0);
  const start = new Int32Array(count + 1);
  const columns = new Uint16Array(total);
  const bytes = new Uint8Array(total);
  let t = 0;
  for (let i = 0; i < count; i++) {
    start[i] = t;
    for (let p = 0, src = i * d; p < d; p++) {
      const byte = images[src + p];
      if (byte === 0) continue;
      columns[t] = p;
      bytes[t++] = byte;
    }
  }
  start[count] = t;
  return { ...data, nonZeros: { count, start, columns, bytes } };
}

/** The training and test sets of MNIST. */
export interface MnistData {
  train: Dataset;
  test: Dataset;
}

/** Byte → `float32(p) / float32(255)` widened to float64, as the reference normalizes. */
export const PIXEL_VALUES: Float64Array = Float64Array.from({ length: 256 }, (_, p) => Math.fround(p / 255));

/** Pairs parsed images with their labels, checking that the counts agree. */
export function makeDataset(images: IdxImages, labels: Uint8Array, name: string): Dataset {
  if (images.count !== labels.length) {
    throw new IdxFormatError(`${name}: ${images.count} images but ${labels.length} labels`);
  }
  return { count: images.count, pixelsPerImage: images.rows * images.cols, images: images.pixels, labels };
}

/** Each image array's bytes seen four at a time (a view, made once per array), or undefined where they do not align. */
const wordViews = new WeakMap<Uint8Array, Uint32Array | undefined>();

/** `images` four bytes at a time, when every image starts on a 4-byte boundary. */
function wordsOf(images: Uint8Array, pixelsPerImage: number): Uint32Array | undefined {
  if (pixelsPerImage % 4 !== 0 || images.byteOffset % 4 !== 0) return undefined;
  let words = wordViews.get(images);
  if (!words) {
    words = new Uint32Array(images.buffer, images.byteOffset, images.length >> 2);
    wordViews.set(images, words);
  }
  return words;
}

/** Fills `out` with the normalized non-zero pixels of images `indices[0..rows)`, row after row. */
export function gatherSparseRows(data: Dataset, indices: Int32Array, rows: number, out: SparseRows): void {
  const d = data.pixelsPerImage;
  const { images } = data;
  const { columns, values, rowEnd } = out;
  const lookup = PIXEL_VALUES;
  const words = wordsOf(images, d);
  const known = data.nonZeros;
  let t = 0;
  for (let r = 0; r < rows; r++) {
    const image = indices[r];
    const src = image * d;
    if (known && image < known.count) {
      const { start, columns: from, bytes } = known;
      let u = start[image];
      const end = start[image + 1];
      for (; u + 4 <= end; u += 4, t += 4) {
        columns[t] = from[u];
        columns[t + 1] = from[u + 1];
        columns[t + 2] = from[u + 2];
        columns[t + 3] = from[u + 3];
        values[t] = lookup[bytes[u]];
        values[t + 1] = lookup[bytes[u + 1]];
        values[t + 2] = lookup[bytes[u + 2]];
        values[t + 3] = lookup[bytes[u + 3]];
      }
      for (; u < end; u++) {
        columns[t] = from[u];
        values[t++] = lookup[bytes[u]];
      }
    } else if (words) {
      // Four pixels at a time where all four are 0 (most of an image's background): 2.6× faster.
      for (let q = src >> 2, end = (src + d) >> 2; q < end; q++) {
        if (words[q] === 0) continue;
        for (let p = (q << 2) - src, last = p + 4; p < last; p++) {
          const byte = images[src + p];
          columns[t] = p;
          values[t] = lookup[byte];
          t += +(byte !== 0);
        }
      }
    } else {
      // Always write, advance only past a non-zero pixel, without a branch to mispredict.
      for (let p = 0; p < d; p++) {
        const byte = images[src + p];
        columns[t] = p;
        values[t] = lookup[byte];
        t += +(byte !== 0);
      }
    }
    rowEnd[r] = t;
  }
  out.rows = rows;
}

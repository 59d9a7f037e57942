import { describe, expect, it } from "vitest";
import { type Dataset, gatherSparseRows, PIXEL_VALUES, withNonZeros } from "../../src/data/dataset";
import { matmulSparse, matmulSparseTransA, matmulSparseTransAShared } from "../../src/nn/linalg/matmul";
import { SparseRows } from "../../src/nn/linalg/sparse-rows";
import { NumpyRandom } from "../../src/numpy/random-state";
import { matmulReference, matmulTransAReference } from "../oracles/reference-gemm";

const rng = new NumpyRandom(7);

/** `count` random images of `pixels` bytes, `zeroShare` of them 0, as a dataset. */
function images(count: number, pixels: number, zeroShare: number): Dataset {
  const bytes = new Uint8Array(count * pixels);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.randomSample() < zeroShare ? 0 : 1 + Math.floor(rng.randomSample() * 255);
  return { count, pixelsPerImage: pixels, images: bytes, labels: new Uint8Array(count) };
}

/** The images `indices` as a batch of non-zeros. */
function batchOf(data: Dataset, indices: number[]): SparseRows {
  const rows = new SparseRows(data.pixelsPerImage, indices.length);
  gatherSparseRows(data, Int32Array.from(indices), indices.length, rows);
  return rows;
}

/** Same values, +0 and −0 counted equal, NaN equal to NaN. */
function sameValues(got: Float64Array, want: Float64Array): boolean {
  return got.length === want.length && got.every((v, i) => v === want[i] || (Number.isNaN(v) && Number.isNaN(want[i])));
}

describe("a batch gathered from image bytes", () => {
  /** The same images with their bytes `shift` bytes into a larger buffer (a view not aligned to 4 bytes when shift is odd). */
  const shifted = (data: Dataset, shift: number): Dataset => {
    const buffer = new Uint8Array(data.images.length + shift);
    buffer.set(data.images, shift);
    return { ...data, images: buffer.subarray(shift) };
  };
  /** Images whose first and last quarters are 0, as MNIST's borders are (whole words of zeros to skip). */
  const bordered = (count: number, pixels: number): Dataset => {
    const data = images(count, pixels, 0.3);
    for (let i = 0; i < count; i++) {
      data.images.fill(0, i * pixels, i * pixels + pixels / 4);
      data.images.fill(0, i * pixels + (3 * pixels) / 4, (i + 1) * pixels);
    }
    return data;
  };

  it.each([
    ["4-byte aligned pixels, read four at a time", images(5, 12, 0.6)],
    ["zero borders skipped four at a time", bordered(5, 32)],
    ["bytes not aligned to 4 in their buffer", shifted(bordered(5, 32), 1)],
    ["bytes 16 into their buffer (an IDX file's images)", shifted(bordered(5, 32), 16)],
    ["images whose size is not a multiple of 4", images(5, 10, 0.6)],
    ["non-zero pixels kept for every image", withNonZeros(images(5, 12, 0.6), 5)],
    ["non-zero pixels kept for the first 3 images (image 3 read from its bytes)", withNonZeros(bordered(5, 32), 3)],
  ])("holds exactly the normalized non-zero pixels of the chosen images, in column order: %s", (_, data) => {
    const d = data.pixelsPerImage;
    const batch = batchOf(data, [3, 0, 3]);
    expect(batch.rows).toBe(3);
    const dense = batch.toDense();
    [3, 0, 3].forEach((image, r) => {
      for (let p = 0; p < d; p++) expect(dense[r * d + p]).toBe(PIXEL_VALUES[data.images[image * d + p]]);
    });
    const nonZeroBytes = [3, 0, 3].reduce(
      (n, image) => n + data.images.subarray(image * d, image * d + d).filter((b) => b !== 0).length,
      0,
    );
    expect(batch.nonZeros).toBe(nonZeroBytes);
    for (let r = 0, t = 0; r < 3; r++) {
      for (let last = -1; t < batch.rowEnd[r]; t++) {
        expect(batch.columns[t]).toBeGreaterThan(last);
        last = batch.columns[t];
      }
    }
  });

  it("zeroes the dense copy of rows a previous, longer batch had filled", () => {
    const data = images(4, 10, 0);
    const batch = new SparseRows(10, 3);
    gatherSparseRows(data, Int32Array.from([0, 1, 2]), 3, batch);
    batch.toDense();
    gatherSparseRows(data, Int32Array.from([3]), 1, batch);
    expect(Array.from(batch.toDense().subarray(0, 10))).toEqual(Array.from(data.images.subarray(30, 40), (b) => PIXEL_VALUES[b]));
  });
});

// [images, pixels, columns of b]; the last two need several gathers (non-zeros, then rows).
const SHAPES: [number, number, number][] = [
  [100, 784, 100],
  [7, 13, 5],
  [1, 1, 1],
  [300, 1000, 300],
  [20000, 3, 2],
  [3, 20000, 2],
];

describe.each(SHAPES)("products of a %i×%i batch of non-zeros with %i columns", (m, k, n) => {
  it.each([0, 0.81, 1])("equal the reference triple loops exactly with %s zero pixels, whatever out held before", (zeros) => {
    const batch = batchOf(
      images(m, k, zeros),
      Array.from({ length: m }, (_, i) => i),
    );
    const x = batch.toDense().slice(0, m * k);
    const w = rng.fillNormal(new Float64Array(k * n));
    const got = new Float64Array(m * n);
    matmulSparse(batch, w, got, n);
    const want = new Float64Array(m * n);
    matmulReference(x, w, want, m, k, n);
    expect(sameValues(got, want)).toBe(true);

    const dout = rng.fillNormal(new Float64Array(m * n));
    // A pixel no image of the batch has is a row of dW the kernel does not gather: it must still be 0.
    const gotDW = new Float64Array(k * n).fill(Number.NaN);
    matmulSparseTransA(batch, dout, gotDW, n);
    const wantDW = new Float64Array(k * n);
    matmulTransAReference(x, dout, wantDW, m, k, n);
    expect(sameValues(gotDW, wantDW)).toBe(true);

    // Two networks' dW in one pass (an experiment's pair) equal each alone.
    const dout2 = rng.fillNormal(new Float64Array(m * n));
    const gotPair = [new Float64Array(k * n).fill(Number.NaN), new Float64Array(k * n).fill(Number.NaN)];
    const nonEmpty = new Int32Array(k);
    const count = matmulSparseTransAShared(batch, [dout, dout2], gotPair, n, nonEmpty);
    const wantDW2 = new Float64Array(k * n);
    matmulTransAReference(x, dout2, wantDW2, m, k, n);
    expect(sameValues(gotPair[0], wantDW)).toBe(true);
    expect(sameValues(gotPair[1], wantDW2)).toBe(true);
    // The rows it lists are the pixels some image of the batch has (an optimizer updates only those).
    const used = new Set<number>();
    x.forEach((v, i) => {
      if (v !== 0) used.add(i % k);
    });
    expect([...nonEmpty.subarray(0, count)]).toEqual([...used].sort((p, q) => p - q));
  });
});

describe("products of a batch of non-zeros with a non-finite operand", () => {
  it.each([
    ["NaN", Number.NaN],
    ["NaN and ∞", Infinity],
  ])("give the reference's NaN from 0 · NaN and 0 · ∞ with %s in b, as numpy does", (_, second) => {
    const [m, k, n] = [30, 50, 20];
    const batch = batchOf(
      images(m, k, 0.8),
      Array.from({ length: m }, (_, i) => i),
    );
    const x = batch.toDense().slice(0, m * k);
    const w = rng.fillNormal(new Float64Array(k * n));
    w[3] = Number.NaN;
    w[k * n - 7] = second;
    const got = new Float64Array(m * n);
    matmulSparse(batch, w, got, n);
    const want = new Float64Array(m * n);
    matmulReference(x, w, want, m, k, n);
    expect(want.some((v) => Number.isNaN(v))).toBe(true);
    expect(sameValues(got, want)).toBe(true);

    const dout = rng.fillNormal(new Float64Array(m * n));
    dout[5] = -Infinity;
    const gotDW = new Float64Array(k * n);
    matmulSparseTransA(batch, dout, gotDW, n);
    const wantDW = new Float64Array(k * n);
    matmulTransAReference(x, dout, wantDW, m, k, n);
    expect(wantDW.some((v) => Number.isNaN(v))).toBe(true);
    expect(sameValues(gotDW, wantDW)).toBe(true);

    // Shared with a finite network's dout: each alone, and no list of rows (its empty rows are not 0).
    const finite = rng.fillNormal(new Float64Array(m * n));
    const gotPair = [new Float64Array(k * n), new Float64Array(k * n).fill(Number.NaN)];
    expect(matmulSparseTransAShared(batch, [dout, finite], gotPair, n, new Int32Array(k))).toBe(-1);
    const wantFinite = new Float64Array(k * n);
    matmulTransAReference(x, finite, wantFinite, m, k, n);
    expect(sameValues(gotPair[0], wantDW)).toBe(true);
    expect(sameValues(gotPair[1], wantFinite)).toBe(true);
  });
});

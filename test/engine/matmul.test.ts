import { describe, expect, it } from "vitest";
import { allFinite, MatMul, multiplyDense, transpose } from "../../src/linalg/matmul";
import { matmulReference, matmulTransAReference, matmulTransBReference } from "../../src/linalg/reference-gemm";
import { NumpyRandom } from "../../src/numpy-random";

const rng = new NumpyRandom(42);

/** m×n values; `zeroShare` of them exactly 0 (as MNIST pixels or ReLU outputs). */
function matrix(rows: number, cols: number, zeroShare = 0): Float64Array {
  const a = rng.fillNormal(new Float64Array(rows * cols));
  for (let i = 0; i < a.length; i++) if (rng.randomSample() < zeroShare) a[i] = 0;
  return a;
}

/** Same values, +0 and −0 counted equal (skipping a zero term may flip the sign of a zero sum). */
function sameValues(got: Float64Array, want: Float64Array): boolean {
  return got.length === want.length && got.every((v, i) => v === want[i] || (Number.isNaN(v) && Number.isNaN(want[i])));
}

const SHAPES: [number, number, number][] = [
  [100, 784, 100],
  [100, 100, 100],
  [100, 100, 10],
  [7, 13, 5],
  [1, 1, 1],
  [5, 3, 9],
];

describe.each(SHAPES)("product of %i×%i and %i-column matrices", (m, k, n) => {
  it.each([0, 0.5, 0.81, 0.99])("equals the reference triple loop exactly with %s zeros", (zeros) => {
    const a = matrix(m, k, zeros);
    const b = matrix(k, n);
    const want = new Float64Array(m * n);
    matmulReference(a, b, want, m, k, n);
    const mm = new MatMul(k);
    const got = new Float64Array(m * n);
    mm.multiply(a, b, got, m, k, n);
    expect(sameValues(got, want)).toBe(true);
    const dense = new Float64Array(m * n);
    multiplyDense(a, b, dense, m, k, n);
    expect(sameValues(dense, want)).toBe(true);
    const sparse = new Float64Array(m * n);
    mm.sparseRows(a, b, sparse, m, k, n);
    expect(sameValues(sparse, want)).toBe(true);
  });

  it("gives the transposed products of the reference through transpose", () => {
    const x = matrix(m, k, 0.6);
    const dout = matrix(m, n, 0.5);
    const mm = new MatMul(Math.max(m, k, n));
    const xT = new Float64Array(k * m);
    transpose(x, xT, m, k);
    const dW = new Float64Array(k * n);
    mm.multiply(xT, dout, dW, k, m, n);
    const wantDW = new Float64Array(k * n);
    matmulTransAReference(x, dout, wantDW, m, k, n);
    expect(sameValues(dW, wantDW)).toBe(true);

    const W = matrix(k, n);
    const WT = new Float64Array(n * k);
    transpose(W, WT, k, n);
    const dx = new Float64Array(m * k);
    mm.multiply(dout, WT, dx, m, n, k);
    const wantDx = new Float64Array(m * k);
    matmulTransBReference(dout, W, wantDx, m, n, k);
    expect(sameValues(dx, wantDx)).toBe(true);
  });
});

describe("non-finite operands", () => {
  it("propagate NaN from 0 · Infinity as numpy does instead of skipping the zero", () => {
    const a = new Float64Array([0, 1, 0, 0, 0, 0]);
    const b = new Float64Array([Infinity, 1, 2, 3, 4, 5]);
    const got = new Float64Array(4);
    new MatMul(3).multiply(a, b, got, 2, 3, 2);
    const want = new Float64Array(4);
    matmulReference(a, b, want, 2, 3, 2);
    expect(Array.from(got)).toEqual([Number.NaN, 3, Number.NaN, 0]);
    expect(sameValues(got, want)).toBe(true);
  });

  it.each([
    ["a few NaN", 0.002, 0],
    ["a few ±Infinity", 0, 0.002],
    ["NaN and ±Infinity", 0.01, 0.01],
    ["only NaN", 1, 0],
    ["only ±Infinity (more than are repaired one by one)", 0, 1],
  ])("with %s in b give exactly the reference's NaN and values", (_, nanShare, infShare) => {
    for (const zeros of [0.5, 0.81]) {
      const [m, k, n] = [20, 300, 30];
      const a = matrix(m, k, zeros);
      const b = matrix(k, n);
      for (let i = 0; i < b.length; i++) {
        const r = rng.randomSample();
        if (r < nanShare) b[i] = Number.NaN;
        else if (r < nanShare + infShare) b[i] = rng.randomSample() < 0.5 ? Infinity : -Infinity;
      }
      const want = new Float64Array(m * n);
      matmulReference(a, b, want, m, k, n);
      const got = new Float64Array(m * n);
      new MatMul(k).multiply(a, b, got, m, k, n);
      expect(sameValues(got, want)).toBe(true);
      expect(want.some((v) => Number.isNaN(v))).toBe(true);
    }
  });

  it("are detected by allFinite", () => {
    expect(allFinite(new Float64Array([1, -2, 0]))).toBe(true);
    expect(allFinite(new Float64Array([1, Number.NaN]))).toBe(false);
    expect(allFinite(new Float64Array([-Infinity]))).toBe(false);
  });
});

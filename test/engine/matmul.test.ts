import { describe, expect, it } from "vitest";
import { allFinite, MAX_INNER, matmul, matmulTransA, matmulTransB, matmulTransBMasked } from "../../src/nn/linalg/matmul";
import { NumpyRandom } from "../../src/numpy/random-state";
import { matmulReference, matmulTransAReference, matmulTransBReference } from "../oracles/reference-gemm";

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
  // b too large to pack at once, and a's non-zeros gathered in several chunks.
  [300, 1000, 300],
  // More rows than are gathered at once.
  [20000, 3, 2],
];

describe.each(SHAPES)("product of %i×%i and %i-column matrices", (m, k, n) => {
  it.each([0, 0.5, 0.81, 0.99])("equals the reference triple loops exactly with %s zeros", (zeros) => {
    const a = matrix(m, k, zeros);
    const b = matrix(k, n);
    const want = new Float64Array(m * n);
    matmulReference(a, b, want, m, k, n);
    const got = new Float64Array(m * n);
    matmul(a, b, got, m, k, n);
    expect(sameValues(got, want)).toBe(true);

    // The same product with a stored transposed (k×m), then with b stored transposed (n×k).
    const aT = new Float64Array(k * m);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) aT[p * m + i] = a[i * k + p];
    const gotTransA = new Float64Array(m * n);
    matmulTransA(aT, b, gotTransA, k, m, n);
    const wantTransA = new Float64Array(m * n);
    matmulTransAReference(aT, b, wantTransA, k, m, n);
    expect(sameValues(wantTransA, want)).toBe(true);
    expect(sameValues(gotTransA, want)).toBe(true);

    const bT = new Float64Array(n * k);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bT[j * k + p] = b[p * n + j];
    const gotTransB = new Float64Array(m * n);
    matmulTransB(a, bT, gotTransB, m, k, n);
    const wantTransB = new Float64Array(m * n);
    matmulTransBReference(a, bT, wantTransB, m, k, n);
    expect(sameValues(wantTransB, want)).toBe(true);
    expect(sameValues(gotTransB, want)).toBe(true);
  });
});

describe("the input gradient masked by the layer's input", () => {
  /** The reference a · bᵀ with 0 wherever mask is 0. */
  function maskedReference(a: Float64Array, bT: Float64Array, mask: Float64Array, m: number, k: number, n: number) {
    const want = new Float64Array(m * n);
    matmulTransBReference(a, bT, want, m, k, n);
    return want.map((v, i) => (mask[i] === 0 ? 0 : v));
  }

  it.each([
    [100, 100, 100, 0.5],
    [100, 100, 100, 0],
    [7, 13, 5, 0.7],
    [3, 1, 9, 1],
    [100, 10, 100, 0.5],
  ])("equals the reference exactly where the %i×%i·(%i) mask is set, 0 elsewhere (%s zeros)", (m, k, n, zeros) => {
    const a = matrix(m, k, 0.5);
    const bT = matrix(n, k);
    const mask = matrix(m, n, zeros);
    const got = new Float64Array(m * n).fill(7);
    matmulTransBMasked(a, bT, mask, got, m, k, n);
    expect(sameValues(got, maskedReference(a, bT, mask, m, k, n))).toBe(true);
  });

  it("gives the reference's NaN where b is not finite, and still 0 where masked", () => {
    const [m, k, n] = [20, 30, 40];
    const a = matrix(m, k, 0.5);
    const bT = matrix(n, k);
    bT[5] = Number.NaN;
    bT[77] = Infinity;
    const mask = matrix(m, n, 0.5);
    const got = new Float64Array(m * n);
    matmulTransBMasked(a, bT, mask, got, m, k, n);
    const want = maskedReference(a, bT, mask, m, k, n);
    expect(want.some((v) => Number.isNaN(v))).toBe(true);
    expect(sameValues(got, want)).toBe(true);
  });
});

describe("non-finite operands", () => {
  it("propagate NaN from 0 · Infinity as numpy does instead of skipping the zero", () => {
    const a = new Float64Array([0, 1, 0, 0, 0, 0]);
    const b = new Float64Array([Infinity, 1, 2, 3, 4, 5]);
    const got = new Float64Array(4);
    matmul(a, b, got, 2, 3, 2);
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
      matmul(a, b, got, m, k, n);
      expect(sameValues(got, want)).toBe(true);
      expect(want.some((v) => Number.isNaN(v))).toBe(true);

      // As a layer's backward pass uses them: dW = xᵀ · dout with a non-finite dout, and
      // dx = dout · Wᵀ with a non-finite W.
      const aT = new Float64Array(k * m);
      for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) aT[p * m + i] = a[i * k + p];
      const gotTransA = new Float64Array(m * n);
      matmulTransA(aT, b, gotTransA, k, m, n);
      expect(sameValues(gotTransA, want)).toBe(true);
      const bT = new Float64Array(n * k);
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bT[j * k + p] = b[p * n + j];
      const gotTransB = new Float64Array(m * n);
      matmulTransB(a, bT, gotTransB, m, k, n);
      expect(sameValues(gotTransB, want)).toBe(true);
    }
  });

  it("refuses an inner dimension above MAX_INNER instead of overrunning its scratch", () => {
    const k = MAX_INNER + 1;
    expect(() => matmul(new Float64Array(k), new Float64Array(k), new Float64Array(1), 1, k, 1)).toThrow(
      `inner dimension ${k} exceeds ${MAX_INNER}`,
    );
  });

  it("are detected by allFinite", () => {
    expect(allFinite(new Float64Array([1, -2, 0]))).toBe(true);
    expect(allFinite(new Float64Array([1, Number.NaN]))).toBe(false);
    expect(allFinite(new Float64Array([-Infinity]))).toBe(false);
  });
});

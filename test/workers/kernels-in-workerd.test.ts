import { describe, expect, it } from "vitest";
import {
  matmul,
  matmulSparse,
  matmulSparseTransA,
  matmulTransA,
  matmulTransB,
  matmulTransBMasked,
} from "../../src/nn/linalg/matmul";
import { SparseRows } from "../../src/nn/linalg/sparse-rows";
import { NumpyRandom } from "../../src/numpy/random-state";
import { matmulReference, matmulTransAReference, matmulTransBReference } from "../oracles/reference-gemm";

// The same kernel as in Node, bundled as the Worker is (its scratch held by a closure, the
// bundle's top-level bindings being variables): its products must equal the reference loops here too.
const rng = new NumpyRandom(5);

function matrix(rows: number, cols: number, zeroShare: number): Float64Array {
  const a = rng.fillNormal(new Float64Array(rows * cols));
  for (let i = 0; i < a.length; i++) if (rng.randomSample() < zeroShare) a[i] = 0;
  return a;
}

const same = (got: Float64Array, want: Float64Array) =>
  got.every((v, i) => v === want[i] || (Number.isNaN(v) && Number.isNaN(want[i])));

describe("the products inside workerd", () => {
  it.each([
    [100, 784, 100, 0.81],
    [100, 100, 100, 0.5],
    [100, 100, 10, 0],
    [7, 13, 5, 0.3],
  ])("equal the reference loops exactly for %i×%i·%i with %s zeros, NaN included", (m, k, n, zeros) => {
    const a = matrix(m, k, zeros);
    const b = matrix(k, n, 0);
    const want = new Float64Array(m * n);
    matmulReference(a, b, want, m, k, n);
    const got = new Float64Array(m * n);
    matmul(a, b, got, m, k, n);
    expect(same(got, want)).toBe(true);

    const dout = matrix(m, n, 0);
    const wantDW = new Float64Array(k * n);
    matmulTransAReference(a, dout, wantDW, m, k, n);
    const gotDW = new Float64Array(k * n);
    matmulTransA(a, dout, gotDW, m, k, n);
    expect(same(gotDW, wantDW)).toBe(true);

    const wT = matrix(k, n, 0);
    const wantDx = new Float64Array(m * k);
    matmulTransBReference(dout, wT, wantDx, m, n, k);
    const gotDx = new Float64Array(m * k);
    matmulTransB(dout, wT, gotDx, m, n, k);
    expect(same(gotDx, wantDx)).toBe(true);
    const masked = new Float64Array(m * k);
    matmulTransBMasked(dout, wT, a, masked, m, n, k);
    expect(
      same(
        masked,
        wantDx.map((v, i) => (a[i] === 0 ? 0 : v)),
      ),
    ).toBe(true);

    const rows = new SparseRows(k, m);
    for (let i = 0, t = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        if (a[i * k + p] === 0) continue;
        rows.columns[t] = p;
        rows.values[t++] = a[i * k + p];
      }
      rows.rowEnd[i] = t;
    }
    rows.rows = m;
    b[3] = Number.NaN;
    matmulReference(a, b, want, m, k, n);
    matmulSparse(rows, b, got, n);
    expect(same(got, want)).toBe(true);
    matmulSparseTransA(rows, dout, gotDW, n);
    expect(same(gotDW, wantDW)).toBe(true);
  });
});

/**
 * The matrix product of the engine, out[m×n] = a[m×k] · b[k×n], in two kernels that sum every
 * element in the same order as the plain triple loop (p = 0 … k−1), so all give equal results:
 * - dense: a 4×4 block of accumulators kept in registers;
 * - sparse rows: for inputs with many zeros (MNIST pixels, ReLU outputs), each row's non-zeros
 *   are gathered once and only they are multiplied, 8 output columns at a time.
 * Skipping zeros is exact only while b is finite (0 · ∞ is NaN). For a non-finite b (a diverged
 * network) the skipped terms are put back afterwards: a NaN in column j of b makes all of column
 * j of out NaN, and ±∞ at b[p, j] makes out[i, j] NaN wherever a[i, p] is 0; the other terms were
 * summed as before, and NaN or ∞ in a sum gives the same result in any order.
 */

/** Share of non-zeros in a below which the sparse kernel wins (measured by `npm run bench`). */
const SPARSE_DENSITY = 0.6;
/** Rows of a sampled to estimate its density. */
const DENSITY_SAMPLE_ROWS = 4;
/** Most ±∞ entries of b repaired after the sparse kernel; beyond them the dense kernel runs. */
const MAX_INFINITIES = 4096;

/** True when no element is NaN or ±Infinity. */
export function allFinite(x: Float64Array, length = x.length): boolean {
  for (let i = 0; i < length; i++) {
    if (x[i] - x[i] !== 0) return false;
  }
  return true;
}

/** dst[cols×rows] = src[rows×cols]ᵀ */
export function transpose(src: Float64Array, dst: Float64Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const s = i * cols;
    for (let j = 0; j < cols; j++) dst[j * rows + i] = src[s + j];
  }
}

/** A matrix product with its scratch space, so that multiplying allocates nothing. */
export class MatMul {
  private readonly idx: Int32Array;
  private readonly val: Float64Array;
  private readonly nanColumn: Uint8Array;
  private readonly infinityAt: Int32Array;
  private infinities = 0;

  /** `maxInner`: the largest inner dimension k this instance multiplies. */
  constructor(readonly maxInner: number) {
    this.idx = new Int32Array(maxInner);
    this.val = new Float64Array(maxInner);
    this.nanColumn = new Uint8Array(maxInner);
    this.infinityAt = new Int32Array(MAX_INFINITIES);
  }

  /** out[m×n] = a[m×k] · b[k×n], choosing the kernel by the density of a. */
  multiply(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
    if (k > this.maxInner) throw new RangeError(`inner dimension ${k} exceeds ${this.maxInner}`);
    // The density of the first rows decides: rows of a batch are alike (pixels, ReLU outputs).
    const len = Math.min(m, DENSITY_SAMPLE_ROWS) * k;
    let nonZeros = 0;
    for (let i = 0; i < len; i++) nonZeros += a[i] !== 0 ? 1 : 0;
    if (nonZeros >= SPARSE_DENSITY * len) {
      multiplyDense(a, b, out, m, k, n);
    } else if (allFinite(b, k * n)) {
      this.sparseRows(a, b, out, m, k, n);
    } else if (n <= this.nanColumn.length && this.findNonFinite(b, k, n)) {
      this.sparseRows(a, b, out, m, k, n);
      this.restoreSkippedNonFinite(a, out, m, k, n);
    } else {
      multiplyDense(a, b, out, m, k, n);
    }
  }

  /** Marks the columns of b holding NaN and lists its ±∞ entries; false when there are too many. */
  private findNonFinite(b: Float64Array, k: number, n: number): boolean {
    const { nanColumn, infinityAt } = this;
    nanColumn.fill(0, 0, n);
    this.infinities = 0;
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) {
        const v = b[p * n + j];
        if (Number.isNaN(v)) {
          nanColumn[j] = 1;
        } else if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
          if (this.infinities === infinityAt.length) return false;
          infinityAt[this.infinities++] = p * n + j;
        }
      }
    }
    return true;
  }

  /** Puts back the 0 · NaN and 0 · ±∞ terms that the sparse kernel skipped. */
  private restoreSkippedNonFinite(a: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
    for (let j = 0; j < n; j++) {
      if (this.nanColumn[j] === 0) continue;
      for (let i = 0; i < m; i++) out[i * n + j] = Number.NaN;
    }
    for (let t = 0; t < this.infinities; t++) {
      const p = Math.floor(this.infinityAt[t] / n);
      const j = this.infinityAt[t] - p * n;
      for (let i = 0; i < m; i++) if (a[i * k + p] === 0) out[i * n + j] = Number.NaN;
    }
  }

  /** Kernel for a with many zeros: per row, only the non-zero terms, in order of p. */
  sparseRows(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
    const { idx, val } = this;
    const n8 = n - (n % 8);
    for (let i = 0; i < m; i++) {
      let nnz = 0;
      const ai = i * k;
      // Branch-free gather: always write, advance only past a non-zero.
      for (let p = 0; p < k; p++) {
        const v = a[ai + p];
        idx[nnz] = p * n;
        val[nnz] = v;
        nnz += v !== 0 ? 1 : 0;
      }
      const o = i * n;
      for (let j = 0; j < n8; j += 8) {
        let c0 = 0,
          c1 = 0,
          c2 = 0,
          c3 = 0,
          c4 = 0,
          c5 = 0,
          c6 = 0,
          c7 = 0;
        for (let t = 0; t < nnz; t++) {
          const v = val[t];
          const q = idx[t] + j;
          c0 += v * b[q];
          c1 += v * b[q + 1];
          c2 += v * b[q + 2];
          c3 += v * b[q + 3];
          c4 += v * b[q + 4];
          c5 += v * b[q + 5];
          c6 += v * b[q + 6];
          c7 += v * b[q + 7];
        }
        out[o + j] = c0;
        out[o + j + 1] = c1;
        out[o + j + 2] = c2;
        out[o + j + 3] = c3;
        out[o + j + 4] = c4;
        out[o + j + 5] = c5;
        out[o + j + 6] = c6;
        out[o + j + 7] = c7;
      }
      let j = n8;
      if (n - j >= 4) {
        let c0 = 0,
          c1 = 0,
          c2 = 0,
          c3 = 0;
        for (let t = 0; t < nnz; t++) {
          const v = val[t];
          const q = idx[t] + j;
          c0 += v * b[q];
          c1 += v * b[q + 1];
          c2 += v * b[q + 2];
          c3 += v * b[q + 3];
        }
        out[o + j] = c0;
        out[o + j + 1] = c1;
        out[o + j + 2] = c2;
        out[o + j + 3] = c3;
        j += 4;
      }
      for (; j < n; j++) {
        let c = 0;
        for (let t = 0; t < nnz; t++) c += val[t] * b[idx[t] + j];
        out[o + j] = c;
      }
    }
  }
}

/** Kernel for dense a: 4×4 output blocks accumulated in registers; edges by plain dot products. */
export function multiplyDense(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0, q = j; p < k; p++, q += n) {
        const b0 = b[q];
        const b1 = b[q + 1];
        const b2 = b[q + 2];
        const b3 = b[q + 3];
        let x = a[a0 + p];
        c00 += x * b0;
        c01 += x * b1;
        c02 += x * b2;
        c03 += x * b3;
        x = a[a1 + p];
        c10 += x * b0;
        c11 += x * b1;
        c12 += x * b2;
        c13 += x * b3;
        x = a[a2 + p];
        c20 += x * b0;
        c21 += x * b1;
        c22 += x * b2;
        c23 += x * b3;
        x = a[a3 + p];
        c30 += x * b0;
        c31 += x * b1;
        c32 += x * b2;
        c33 += x * b3;
      }
      let o = i * n + j;
      out[o] = c00;
      out[o + 1] = c01;
      out[o + 2] = c02;
      out[o + 3] = c03;
      o += n;
      out[o] = c10;
      out[o + 1] = c11;
      out[o + 2] = c12;
      out[o + 3] = c13;
      o += n;
      out[o] = c20;
      out[o + 1] = c21;
      out[o + 2] = c22;
      out[o + 3] = c23;
      o += n;
      out[o] = c30;
      out[o + 1] = c31;
      out[o + 2] = c32;
      out[o + 3] = c33;
    }
    for (let r = i; r < i + 4; r++) dotRange(a, b, out, r, k, n, n4, n);
  }
  for (let r = m4; r < m; r++) dotRange(a, b, out, r, k, n, 0, n);
}

/** out[r, j0..j1) by plain dot products. */
function dotRange(
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
  r: number,
  k: number,
  n: number,
  j0: number,
  j1: number,
): void {
  const ar = r * k;
  for (let j = j0; j < j1; j++) {
    let c = 0;
    for (let p = 0, q = j; p < k; p++, q += n) c += a[ar + p] * b[q];
    out[r * n + j] = c;
  }
}

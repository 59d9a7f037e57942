/**
 * Non-finite operands, from a diverged network. Skipping the zeros of a is exact only while b is
 * finite (0 · ∞ is NaN): a NaN in column j of b makes all of column j of the product NaN, and ±∞
 * at b[p, j] makes out[i, j] NaN wherever a[i, p] is 0. The other terms are summed as usual, and
 * NaN or ∞ in a sum gives the same result in any order.
 */

/** Most ±∞ entries of b repaired after the sparse kernel; beyond them no zero is skipped. */
const MAX_INFINITIES = 4096;
/** The most columns of b whose NaN is tracked. */
export const MAX_NAN_COLUMNS = 1 << 16;

const NAN_COLUMN = new Uint8Array(MAX_NAN_COLUMNS);
const INFINITY_AT = new Int32Array(MAX_INFINITIES);

/** True when no element is NaN or ±Infinity. */
export function allFinite(x: Float64Array, length = x.length): boolean {
  for (let i = 0; i < length; i++) {
    if (x[i] - x[i] !== 0) return false;
  }
  return true;
}

/** Marks the columns of b holding NaN and lists its ±∞ entries as p·n + j; false when too many. */
export function findNonFinite(b: Float64Array, bT: boolean, k: number, n: number): boolean {
  NAN_COLUMN.fill(0, 0, n);
  let infinities = 0;
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      const v = b[bT ? j * k + p : p * n + j];
      if (Number.isNaN(v)) {
        NAN_COLUMN[j] = 1;
      } else if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
        if (infinities === MAX_INFINITIES - 1) return false;
        INFINITY_AT[infinities++] = p * n + j;
      }
    }
  }
  INFINITY_AT[infinities] = -1;
  return true;
}

/** Puts back the 0 · ±∞ terms that the sparse kernel skipped: NaN wherever a is 0. */
export function restoreSkippedInfinities(a: Float64Array, aT: boolean, out: Float64Array, m: number, k: number, n: number): void {
  for (let t = 0; INFINITY_AT[t] >= 0; t++) {
    const p = Math.floor(INFINITY_AT[t] / n);
    const j = INFINITY_AT[t] - p * n;
    for (let i = 0; i < m; i++) if (a[aT ? p * m + i : i * k + p] === 0) out[i * n + j] = Number.NaN;
  }
}

/** How many of b's n columns {@link findNonFinite} found holding NaN. */
export function nanColumnCount(n: number): number {
  let count = 0;
  for (let j = 0; j < n; j++) count += NAN_COLUMN[j];
  return count;
}

/** Whether {@link findNonFinite} found ±∞ in b. */
export function hasInfinities(): boolean {
  return INFINITY_AT[0] >= 0;
}

/** Sets the NaN columns of out (m×n) to NaN. */
export function fillNanColumns(out: Float64Array, m: number, n: number): void {
  for (let j = 0; j < n; j++) if (NAN_COLUMN[j] === 1) for (let i = 0; i < m; i++) out[i * n + j] = Number.NaN;
}

/** Plain triple-loop matrix products: the definition the fast kernels are tested against. */

/** out[m×n] = a[m×k] · b[k×n] */
export function matmulReference(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
}

/** out[m×n] = aᵀ · b, with a stored as k×m and b as k×n. */
export function matmulTransAReference(
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
  k: number,
  m: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[p * m + i] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
}

/** out[m×n] = a · bᵀ, with a stored as m×k and b as n×k. */
export function matmulTransBReference(
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
      out[i * n + j] = s;
    }
  }
}

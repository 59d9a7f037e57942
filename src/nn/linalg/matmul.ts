/**
 * The matrix products of the engine: out[m×n] = a[m×k] · b[k×n], with either operand allowed to
 * be stored transposed, or a held as its non-zeros. Every element is summed in the order of the
 * plain triple loop (p = 0 … k−1), so the results equal the reference loops exactly; only the
 * terms whose a is 0 are skipped (MNIST pixels are ~81% zero, ReLU outputs about half). The kernel
 * is in packed-kernel.ts, the handling of NaN and ±∞ in non-finite.ts.
 */

import {
  allFinite,
  fillNanColumns,
  findNonFinite,
  hasInfinities,
  MAX_NAN_COLUMNS,
  nanColumnCount,
  restoreSkippedInfinities,
} from "./non-finite";
import {
  KEPT_BASE,
  KEPT_CAPACITY,
  MAX_INNER,
  multiplyMaskedRows,
  multiplyPacked,
  multiplyPackedShared,
  PACK_CAPACITY,
  type Product,
  packBlock,
  packKept,
  WIDTH,
} from "./packed-kernel";
import { SparseRows } from "./sparse-rows";

export { allFinite } from "./non-finite";
export { type KeptSlot, MAX_INNER, newKeptOwner, subtractScaledRows } from "./packed-kernel";

/**
 * Weights whose packing the kernel keeps between products (a network group's first layers): the
 * kept region's owner (from newKeptOwner), and which bs changed since its last product, other
 * than through subtractScaledRows (packed again whole).
 */
export interface KeptWeights {
  owner: number;
  stale: readonly boolean[];
}

/** out[m×n] = a[m×k] · b[k×n] */
export function matmul(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  product(a, false, b, false, out, m, k, n);
}

/** out[m×n] = aᵀ · b, with a stored as k×m and b as k×n (a layer's dW = xᵀ · dout). */
export function matmulTransA(a: Float64Array, b: Float64Array, out: Float64Array, k: number, m: number, n: number): void {
  product(a, true, b, false, out, m, k, n);
}

/** out[m×n] = a · bᵀ, with a stored as m×k and b as n×k (a layer's dx = dout · Wᵀ). */
export function matmulTransB(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  product(a, false, b, true, out, m, k, n);
}

/** out[rows×n] = a · b for a network input held as its non-zeros; b is a.cols×n. */
export function matmulSparse(a: SparseRows, b: Float64Array, out: Float64Array, n: number): void {
  product(a, false, b, false, out, a.rows, a.cols, n);
}

/** out[cols×n] = aᵀ · b for a network input held as its non-zeros; b is a.rows×n (dW = xᵀ · dout). */
export function matmulSparseTransA(a: SparseRows, b: Float64Array, out: Float64Array, n: number): void {
  product(a, true, b, false, out, a.cols, a.rows, n);
}

/**
 * outs[s][rows×n] = a · bs[s] for each s, a network input held as its non-zeros and each b a.cols×n:
 * a is gathered once for all (the two networks of an experiment on one batch). Every output is
 * the double {@link matmulSparse} gives. With `kept`, the bs are packed into (or read from) the
 * kernel's kept region, where they stay for the next product when they fit and are finite.
 */
export function matmulSparseShared(
  a: SparseRows,
  bs: readonly Float64Array[],
  outs: readonly Float64Array[],
  n: number,
  kept?: KeptWeights,
): void {
  const k = a.cols;
  const fits = k <= MAX_INNER && bs.length * Math.ceil(n / WIDTH) * WIDTH * k <= KEPT_CAPACITY;
  if (kept && fits && packKept(kept.owner, bs, k, n, kept.stale)) {
    multiplyPackedShared(a, false, outs, a.rows, k, n, undefined, KEPT_BASE);
    return;
  }
  shared(a, false, bs, outs, a.rows, k, n, undefined);
}

/**
 * outs[s][cols×n] = aᵀ · bs[s] for each s, a's columns gathered once for all (both first layers' dW).
 * When every b is finite, returns how many of a's columns hold a non-zero and lists them in
 * `nonEmpty` (ascending): every other row of each out is then +0. Returns −1 otherwise (a NaN
 * or ±∞ in b makes rows of out NaN whatever a holds, as 0 · ∞ does in numpy's product).
 */
export function matmulSparseTransAShared(
  a: SparseRows,
  bs: readonly Float64Array[],
  outs: readonly Float64Array[],
  n: number,
  nonEmpty: Int32Array,
): number {
  return shared(a, true, bs, outs, a.cols, a.rows, n, nonEmpty);
}

/**
 * The shared product when every b fits the packed scratch together and is finite; each alone
 * otherwise. Returns how many rows were summed (listed in `summed` when given), or −1 when the
 * products were taken apart.
 */
function shared(
  a: SparseRows,
  aT: boolean,
  bs: readonly Float64Array[],
  outs: readonly Float64Array[],
  m: number,
  k: number,
  n: number,
  summed: Int32Array | undefined,
): number {
  const blocks = Math.ceil(n / WIDTH);
  let finite = k <= MAX_INNER && bs.length * blocks * WIDTH * k <= PACK_CAPACITY;
  for (let s = 0; s < bs.length && finite; s++) {
    for (let block = 0; block < blocks; block++)
      finite = packBlock(bs[s], false, k, n, block, (s * blocks + block) * k) && finite;
  }
  if (finite) return multiplyPackedShared(a, aT, outs, m, k, n, summed, 0);
  for (let s = 0; s < bs.length; s++) product(a, aT, bs[s], false, outs[s], m, k, n);
  return -1;
}

/**
 * out[m×n] = a · bᵀ where mask[m×n] is not 0, and 0 elsewhere; b stored as n×k. For the input
 * gradient of a layer after a ReLU: the ReLU zeroes it wherever the layer's input is 0, about
 * half the products, which are not computed.
 */
export function matmulTransBMasked(
  a: Float64Array,
  b: Float64Array,
  mask: Float64Array,
  out: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  if (k <= MAX_INNER && multiplyMaskedRows(a, b, mask, out, m, k, n)) return;
  product(a, false, b, true, out, m, k, n);
  for (let i = 0; i < m * n; i++) if (mask[i] === 0) out[i] = 0;
}

function product(
  a: Float64Array | SparseRows,
  aT: boolean,
  b: Float64Array,
  bT: boolean,
  out: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  if (k > MAX_INNER) throw new RangeError(`inner dimension ${k} exceeds ${MAX_INNER}`);
  const job: Product = { a, aT, b, bT, out, m, k, n };
  const blocks = Math.ceil(n / WIDTH);
  const packedOnce = blocks * WIDTH * k <= PACK_CAPACITY;
  // Packing reads every element of b, so it also tells whether b is finite.
  let finite = true;
  if (packedOnce) {
    for (let block = 0; block < blocks; block++) finite = packBlock(b, bT, k, n, block, block * k) && finite;
  } else {
    finite = allFinite(b, k * n);
  }
  if (finite) {
    multiplyPacked(job, { skipZeros: true, packedOnce });
    return;
  }
  // A diverged network: its NaN columns of b make whole columns of out NaN, and only ±∞ in b
  // needs to know where a is 0 (0 · ∞ is NaN), for which a held sparse is copied dense.
  if (n <= MAX_NAN_COLUMNS && findNonFinite(b, bT, k, n)) {
    if (nanColumnCount(n) === n) {
      out.fill(Number.NaN, 0, m * n);
      return;
    }
    if (!hasInfinities()) {
      multiplyPacked(job, { skipZeros: true, packedOnce });
    } else {
      const dense = a instanceof SparseRows ? a.toDense() : a;
      multiplyPacked({ ...job, a: dense }, { skipZeros: true, packedOnce });
      restoreSkippedInfinities(dense, aT, out, m, k, n);
    }
    fillNanColumns(out, m, n);
    return;
  }
  multiplyPacked({ ...job, a: a instanceof SparseRows ? a.toDense() : a }, { skipZeros: false, packedOnce });
}

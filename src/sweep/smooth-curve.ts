/**
 * The book's `smooth_curve` (common/util.py): the list mirrored 10 points out at each end and
 * convolved with a normalised Kaiser window of 11 points, β = 2; a list shorter than the window
 * is drawn as it is.
 */

const WINDOW = 11;
const BETA = 2;

/** The modified Bessel function I₀ by its power series (converges fast for the small arguments here). */
function besselI0(x: number): number {
  let term = 1;
  let sum = 1;
  const q = (x * x) / 4;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/** numpy's `kaiser(m, beta)`. */
export function kaiser(m: number, beta: number): number[] {
  const alpha = (m - 1) / 2;
  return Array.from({ length: m }, (_, n) => besselI0(beta * Math.sqrt(1 - ((n - alpha) / alpha) ** 2)) / besselI0(beta));
}

/** `smooth_curve(x)`: as many points as `values`. */
export function smoothCurve(values: readonly number[]): number[] {
  const n = values.length;
  if (n < WINDOW) return [...values];
  const w = kaiser(WINDOW, BETA);
  const total = w.reduce((a, b) => a + b, 0);
  const half = WINDOW - 1;
  // np.r_[x[10:0:-1], x, x[-1:-11:-1]]
  const padded = [...values.slice(1, WINDOW).reverse(), ...values, ...values.slice(n - half).reverse()];
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < WINDOW; j++) acc += (w[j] / total) * padded[i + 5 + j];
    out[i] = acc;
  }
  return out;
}

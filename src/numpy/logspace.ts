/**
 * numpy's `logspace`, correctly rounded. V8's `10 ** y` can be an ulp off (10 ** -4 is
 * 0.00009999999999999999), so powers are evaluated in 200-bit fixed point and rounded once by
 * `Number()`'s correctly-rounded decimal parse.
 */

const BITS = 200n;
const ONE = 1n << BITS;
/** ln 10 to 60 digits. */
const LN10_DIGITS = "2302585092994045684017991454684364207601101488628772976033327";
const LN10 = (BigInt(LN10_DIGITS) << BITS) / 10n ** BigInt(LN10_DIGITS.length - 1);
const HALVINGS = 8;

/** y as an exact fraction num / 2^shift (every finite double is one). */
function exactFraction(y: number): { num: bigint; shift: bigint } {
  let shift = 0;
  while (!Number.isInteger(y * 2 ** shift)) shift++;
  return { num: BigInt(y * 2 ** shift), shift: BigInt(shift) };
}

/** e^x for x in 200-bit fixed point, by halving, a Taylor series and squaring back. */
function expFixed(x: bigint): bigint {
  const r = x >> BigInt(HALVINGS);
  let term = ONE;
  let sum = ONE;
  for (let n = 1n; term !== 0n; n++) {
    term = (term * r) / (n << BITS);
    sum += term;
  }
  for (let i = 0; i < HALVINGS; i++) sum = (sum * sum) >> BITS;
  return sum;
}

/** 10^y, correctly rounded to a double for |y| up to a few hundred. */
export function pow10(y: number): number {
  if (Number.isInteger(y)) return Number(`1e${y}`);
  const { num, shift } = exactFraction(y);
  const value = expFixed((num * LN10) >> shift);
  const digits = 40n;
  return Number(`${(value * 10n ** digits) >> BITS}e-${digits}`);
}

/** numpy's `logspace(start, stop, num)`: 10 ** linspace(start, stop, num), last point exact. */
export function logspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => pow10(i === num - 1 && num > 1 ? stop : i * step + start));
}

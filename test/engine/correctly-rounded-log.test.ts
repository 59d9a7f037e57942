import { describe, expect, it } from "vitest";
import { accurateLog, correctlyRoundedLog } from "../../src/numpy/correctly-rounded-log";
import { NumpyRandom } from "../../src/numpy/random-state";

const BITS = 200n;
const ONE = 1n << BITS;

/** 2 atanh(s) for s = num / den (den > 0) in fixed point (2^-200), by its series. */
function twoAtanh(num: bigint, den: bigint): bigint {
  // atanh is odd; the series runs on |s| so that the shifts truncate towards 0.
  if (num < 0n) return -twoAtanh(-num, den);
  const s = (num * ONE) / den;
  const s2 = (s * s) >> BITS;
  let sum = 0n;
  let term = s;
  for (let n = 1n; term !== 0n; n += 2n) {
    sum += term / n;
    term = (term * s2) >> BITS;
  }
  return 2n * sum;
}

const LN2 = twoAtanh(1n, 3n);

/** ln x rounded to the nearest double, from a 200-bit fixed-point evaluation: the oracle. */
function oracleLog(x: number): number {
  let m = x;
  let k = 0n;
  while (m < Math.SQRT1_2) {
    m *= 2;
    k--;
  }
  while (m >= Math.SQRT2) {
    m /= 2;
    k++;
  }
  const mant = BigInt(m * 2 ** 53); // exact: m < 2 has no bits below 2^-53
  const ln = k * LN2 + twoAtanh(mant - (1n << 53n), mant + (1n << 53n));
  // Number(bigint) rounds to nearest; scaling by a power of two is then exact.
  return Number(ln) * 2 ** -200;
}

/** Gaussian-style r² = u² + v² < 1, the inputs weight initialization gives. */
function radii(count: number, rng: NumpyRandom): number[] {
  const out: number[] = [];
  while (out.length < count) {
    const u = 2 * rng.randomSample() - 1;
    const v = 2 * rng.randomSample() - 1;
    const r2 = u * u + v * v;
    if (r2 < 1 && r2 > 0) out.push(r2);
  }
  return out;
}

describe("correctly rounded log", () => {
  const rng = new NumpyRandom(11);
  const wide = Array.from({ length: 300 }, () => Math.exp((rng.randomSample() - 0.5) * 1400));
  const near = [
    1,
    1 + 2 ** -52,
    1 - 2 ** -53,
    Math.SQRT2,
    Math.SQRT1_2,
    0.5,
    2,
    45 / 64,
    91 / 64,
    5e-324,
    1.7976931348623157e308,
  ];

  it.each([
    ["random r² of the Gaussian draws", radii(1500, rng)],
    ["random magnitudes from e^-700 to e^700", wide],
    ["edges: 1 and its neighbours, √2, √½, table ends, extremes", near],
  ])("equals a 200-bit evaluation rounded to nearest on %s", (_, xs) => {
    const wrong = xs.filter((x) => correctlyRoundedLog(x) !== oracleLog(x));
    expect(wrong).toEqual([]);
  });

  it("takes the fast phase's rounding only when it is the accurate phase's, over 200,000 r²", () => {
    const xs = radii(200_000, rng);
    const differing = xs.filter((x) => correctlyRoundedLog(x) !== accurateLog(x));
    expect(differing).toEqual([]);
  });

  it("passes NaN, 0, negatives and ∞ to Math.log", () => {
    expect(correctlyRoundedLog(0)).toBe(-Infinity);
    expect(correctlyRoundedLog(-1)).toBeNaN();
    expect(correctlyRoundedLog(Number.NaN)).toBeNaN();
    expect(correctlyRoundedLog(Infinity)).toBe(Infinity);
  });
});

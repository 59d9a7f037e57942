/**
 * Natural logarithm rounded correctly, as glibc's `log` that numpy calls. V8's `Math.log` can be
 * an ulp off, which would shift numpy's Gaussian draws. Evaluated in double-double arithmetic
 * (about 106 bits) and rounded once. Only weight initialization calls it, not training.
 */

/** A double-double value hi + lo with |lo| ≤ ulp(hi) / 2. */
interface DD {
  hi: number;
  lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1
const LN2: DD = { hi: Math.LN2, lo: 2.3190468138462996e-17 };
/** Terms of the atanh series: s² ≤ 0.0295, so 22 terms pass 2^-106. */
const SERIES_TERMS = 22;

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const ta = SPLITTER * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = SPLITTER * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

function add(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  return quickTwoSum(s.hi, s.lo + a.lo + b.lo);
}

function mul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + a.hi * b.lo + a.lo * b.hi);
}

function div(a: DD, b: DD): DD {
  const q1 = a.hi / b.hi;
  let r = add(a, neg(mul(b, { hi: q1, lo: 0 })));
  const q2 = r.hi / b.hi;
  r = add(r, neg(mul(b, { hi: q2, lo: 0 })));
  const q3 = r.hi / b.hi;
  return add(quickTwoSum(q1, q2), { hi: q3, lo: 0 });
}

function neg(a: DD): DD {
  return { hi: -a.hi, lo: -a.lo };
}

/** 1 / (2n + 1) for the series, in double-double. */
const RECIPROCALS: readonly DD[] = Array.from({ length: SERIES_TERMS }, (_, n) =>
  div({ hi: 1, lo: 0 }, { hi: 2 * n + 1, lo: 0 }),
);

/** ln x for positive finite x; other inputs fall back to Math.log (NaN, ±∞, 0). */
export function correctlyRoundedLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  // x = m · 2^k with m in [√½, √2): scaling by 2 is exact.
  let m = x;
  let k = 0;
  while (m < Math.SQRT1_2) {
    m *= 2;
    k--;
  }
  while (m >= Math.SQRT2) {
    m /= 2;
    k++;
  }
  // ln m = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + …), s = (m − 1) / (m + 1); m − 1 is exact here.
  const s = div({ hi: m - 1, lo: 0 }, twoSum(m, 1));
  const s2 = mul(s, s);
  let series = RECIPROCALS[SERIES_TERMS - 1];
  for (let n = SERIES_TERMS - 2; n >= 0; n--) series = add(RECIPROCALS[n], mul(s2, series));
  const lnM = mul({ hi: 2 * s.hi, lo: 2 * s.lo }, series);
  const kLn2 = add(twoProd(k, LN2.hi), { hi: k * LN2.lo, lo: 0 });
  const sum = add(kLn2, lnM);
  return sum.hi + sum.lo;
}

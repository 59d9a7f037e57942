/**
 * Natural logarithm rounded correctly, as glibc's `log` that numpy calls. V8's `Math.log` can be
 * an ulp off, which would shift numpy's Gaussian draws. Weight initialization calls it for every
 * pair of Gaussians, so it runs in two phases (Ziv's strategy): a fast one, accurate to about
 * 2^-66, whose rounding is kept when it is provably the correctly rounded result, and otherwise
 * (about one call in a thousand) an accurate one in double-double arithmetic (about 106 bits).
 */

/** A double-double value hi + lo with |lo| ≤ ulp(hi) / 2. */
interface DD {
  hi: number;
  lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1
const LN2: DD = { hi: Math.LN2, lo: 2.3190468138462996e-17 };
/** Terms of the atanh series: s² ≤ 0.0304 for m in [45/64, 91/64], so 22 terms pass 2^-106. */
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

/** a · b − fl(a · b), exactly (Dekker). */
function productError(a: number, b: number): number {
  const p = a * b;
  const ta = SPLITTER * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = SPLITTER * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
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

/** ln x for positive finite x, correctly rounded; other inputs fall back to Math.log (NaN, ±∞, 0). */
export function correctlyRoundedLog(x: number): number {
  return log(x, false);
}

/** The same by the accurate phase alone, against which the fast phase is tested. */
export function accurateLog(x: number): number {
  return log(x, true);
}

function log(x: number, accurateOnly: boolean): number {
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
  if (!accurateOnly) {
    const fast = fastLog(m, k);
    if (!Number.isNaN(fast)) return fast;
  }
  const ln = accurateLogParts(m, k);
  return ln.hi + ln.lo;
}

/** The fast phase: ln(m · 2^k) for m in [√½, √2) when its rounding is certain, NaN when in doubt. */
function fastLog(m: number, k: number): number {
  // ln m = ln c + 2 atanh(s), c = j/64 nearest m, s = (m − c) / (m + c), |s| < 0.0056.
  const j = Math.round(m * TABLE_STEPS);
  const c = j / TABLE_STEPS;
  const d = m - c; // exact (Sterbenz)
  // u = m + c exactly as uHi + uLo, then s = d / u as sHi + sLo.
  const uHi = m + c;
  const uB = uHi - m;
  const uLo = m - (uHi - uB) + (c - uB);
  const sHi = d / uHi;
  const sLo = (d - sHi * uHi - productError(sHi, uHi) - sHi * uLo) / uHi;
  // 2 atanh(s) − 2s = 2s (z/3 + z²/5 + z³/7 + z⁴/9 + …), z = s²; the rest is below 2^-78.
  const z = sHi * sHi;
  const tail = 2 * sHi * z * (1 / 3 + z * (1 / 5 + z * (1 / 7 + z / 9)));
  // k ln 2 + ln c + 2s + tail as double-doubles (k ln 2 exactly: kHi + its product error).
  const kHi = k * LN2.hi;
  const kLo = productError(k, LN2.hi) + k * LN2.lo;
  const aHi = kHi + LN_C_HI[j];
  const aB = aHi - kHi;
  const aLo = kHi - (aHi - aB) + (LN_C_HI[j] - aB) + kLo + LN_C_LO[j];
  const bHi = aHi + aLo;
  const bLo = aLo - (bHi - aHi);
  const eHi = bHi + 2 * sHi;
  const eB = eHi - bHi;
  const eLo = bHi - (eHi - eB) + (2 * sHi - eB) + bLo + 2 * sLo + tail;
  const rHi = eHi + eLo;
  const rLo = eLo - (rHi - eHi);
  // r.hi is the correctly rounded result unless r.hi + r.lo lies within the error of a midpoint.
  return rHi === rHi + rLo * ROUNDING_TEST ? rHi : Number.NaN;
}

/** Table points per unit: c = j / 64 for j = 45 … 91 covers [√½, √2). */
const TABLE_STEPS = 64;
/** 1 + 2^-10: lo scaled by it must still round away, which covers the fast phase's 2^-66 error. */
const ROUNDING_TEST = 1 + 2 ** -10;

/** ln(m · 2^k) as a double-double (about 106 bits), for m in [45/64, 91/64]. */
function accurateLogParts(m: number, k: number): DD {
  // ln m = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + …), s = (m − 1) / (m + 1); m − 1 is exact here.
  const s = div({ hi: m - 1, lo: 0 }, twoSum(m, 1));
  const s2 = mul(s, s);
  let series = RECIPROCALS[SERIES_TERMS - 1];
  for (let n = SERIES_TERMS - 2; n >= 0; n--) series = add(RECIPROCALS[n], mul(s2, series));
  const lnM = mul({ hi: 2 * s.hi, lo: 2 * s.lo }, series);
  const kLn2 = add(twoProd(k, LN2.hi), { hi: k * LN2.lo, lo: 0 });
  return add(kLn2, lnM);
}

/** ln(j / 64) for j = 0 … 91 as hi + lo (only 45 … 91 are used). */
const LN_C_HI = new Float64Array(92);
const LN_C_LO = new Float64Array(92);
for (let j = 45; j <= 91; j++) {
  const ln = accurateLogParts(j / TABLE_STEPS, 0);
  LN_C_HI[j] = ln.hi;
  LN_C_LO[j] = ln.lo;
}

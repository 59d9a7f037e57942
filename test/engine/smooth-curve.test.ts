import { describe, expect, it } from "vitest";
import { kaiser, smoothCurve } from "../../src/sweep/smooth-curve";

// From numpy 2.4: np.kaiser(11, 2), and common/util.py's smooth_curve of X.
const NUMPY_KAISER = [
  0.4386762798370488, 0.6113943543616491, 0.7676749968275236, 0.8921614338542881, 0.9723298008693713, 1.0, 0.9723298008693713,
  0.8921614338542881, 0.7676749968275236, 0.6113943543616491, 0.4386762798370488,
];
const X = [2.3, 2.1, 2.25, 1.9, 1.7, 1.8, 1.5, 1.45, 1.6, 1.2, 1.1, 1.15, 0.9, 0.95, 0.8];
const NUMPY_SMOOTHED = [
  2.0292552240629527, 2.0074168814978774, 1.9683475997814182, 1.912451571044458, 1.8172741133894594, 1.717363947324345,
  1.6089315960920412, 1.4988127334840529, 1.3869118407479317, 1.28703319568097, 1.1960781123618984, 1.1125171957659419,
  1.047560724357975, 1.0050479425911512, 0.969624933849003,
];

describe("the book's smooth_curve", () => {
  it("uses numpy's Kaiser window of 11 points, beta 2, within 1e-15", () => {
    kaiser(11, 2).forEach((w, i) => {
      expect(w).toBeCloseTo(NUMPY_KAISER[i], 15);
    });
  });

  it("equals numpy's smoothing of a 15-point loss list within 1e-14, mirrored ends included", () => {
    smoothCurve(X).forEach((v, i) => {
      expect(Math.abs(v - NUMPY_SMOOTHED[i])).toBeLessThan(1e-14);
    });
  });

  it("leaves a list shorter than the window as it is", () => {
    expect(smoothCurve([3, 2, 1])).toEqual([3, 2, 1]);
  });
});

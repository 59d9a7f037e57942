import { describe, expect, it } from "vitest";
import { BatchNorm } from "../../src/nn/layers/batch-norm";
import { NumpyRandom } from "../../src/numpy/random-state";

/** The book's BatchNormalization, written as its numpy lines read, one column at a time. */
function reference(x: number[][], dout: number[][], gamma: number[], beta: number[]) {
  const rows = x.length;
  const col = (m: number[][], j: number) => m.map((r) => r[j]);
  const sum = (v: number[]) => v.reduce((s, a) => s + a, 0);
  const mu = gamma.map((_, j) => sum(col(x, j)) / rows);
  const xc = x.map((r) => r.map((v, j) => v - mu[j]));
  const variance = gamma.map((_, j) => sum(col(xc, j).map((c) => c * c)) / rows);
  const std = variance.map((v) => Math.sqrt(v + 1e-6));
  const xn = xc.map((r) => r.map((c, j) => c / std[j]));
  const out = xn.map((r) => r.map((v, j) => gamma[j] * v + beta[j]));
  const dbeta = gamma.map((_, j) => sum(col(dout, j)));
  const dgamma = gamma.map((_, j) => sum(col(xn, j).map((v, i) => v * dout[i][j])));
  const dxn = dout.map((r) => r.map((g, j) => gamma[j] * g));
  let dxc = dxn.map((r) => r.map((v, j) => v / std[j]));
  const dstd = gamma.map((_, j) => -sum(col(dxn, j).map((v, i) => (v * xc[i][j]) / (std[j] * std[j]))));
  const dvar = dstd.map((v, j) => (0.5 * v) / std[j]);
  dxc = dxc.map((r, i) => r.map((v, j) => v + (2.0 / rows) * xc[i][j] * dvar[j]));
  const dmu = gamma.map((_, j) => sum(col(dxc, j)));
  const dx = dxc.map((r) => r.map((v, j) => v - dmu[j] / rows));
  return { out, dx, dgamma, dbeta, mu, variance };
}

describe("Batch Norm", () => {
  // Widths with and without a remainder past the layer's four-column passes.
  it.each([1, 3, 7, 8, 13])("equals the book's numpy lines bit for bit, forward and backward, %i columns wide", (d) => {
    const rng = new NumpyRandom(d);
    const rows = 6;
    const matrix = () => Array.from({ length: rows }, () => Array.from(rng.fillNormal(new Float64Array(d))));
    const x = matrix();
    const dout = matrix();
    const bn = new BatchNorm(d, rows);
    bn.gamma.set(rng.fillNormal(new Float64Array(d)));
    bn.beta.set(rng.fillNormal(new Float64Array(d)));
    const want = reference(x, dout, Array.from(bn.gamma), Array.from(bn.beta));
    const out = bn.forward(Float64Array.from(x.flat()), rows, true);
    expect(Array.from(out.subarray(0, rows * d))).toEqual(want.out.flat());
    const dx = bn.backward(Float64Array.from(dout.flat()), rows);
    expect(Array.from(dx.subarray(0, rows * d))).toEqual(want.dx.flat());
    expect(Array.from(bn.dgamma)).toEqual(want.dgamma);
    expect(Array.from(bn.dbeta)).toEqual(want.dbeta);
    // Evaluation mode normalizes by the running averages, after one step momentum · 0 + (1 − momentum) · the batch's.
    const evaluated = bn.forward(Float64Array.from(x.flat()), rows, false);
    const mean = want.mu.map((m) => 0.9 * 0 + (1 - 0.9) * m);
    const std = want.variance.map((v) => Math.sqrt(0.9 * 0 + (1 - 0.9) * v + 1e-6));
    const gamma = Array.from(bn.gamma);
    const beta = Array.from(bn.beta);
    const expected = x.flatMap((r) => r.map((v, j) => gamma[j] * ((v - mean[j]) / std[j]) + beta[j]));
    expect(Array.from(evaluated.subarray(0, rows * d))).toEqual(expected);
  });
});

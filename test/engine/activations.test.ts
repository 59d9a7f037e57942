import { describe, expect, it } from "vitest";
import { Relu } from "../../src/nn/layers/activations";
import { NumpyRandom } from "../../src/numpy/random-state";

/** numpy's `x[x <= 0] = 0` on a copy, written as numpy states it. */
// biome-ignore lint/complexity/useMathMinMax: the reference is the comparison itself, not Math.max.
const numpyRelu = (x: Float64Array) => x.map((v) => (v <= 0 ? 0 : v));

describe("ReLU", () => {
  it("matches numpy's x[x <= 0] = 0 bit for bit on random finite inputs, +0 for every non-positive", () => {
    const x = new NumpyRandom(3).fillNormal(new Float64Array(1000));
    x[10] = -0;
    x[11] = 0;
    const out = new Relu(100, 10).forward(x, 10);
    const want = numpyRelu(x);
    const differing = Array.from(out.keys()).filter((i) => !Object.is(out[i], want[i]));
    expect(differing).toEqual([]);
    expect(out.filter((v) => v === 0).length).toBeGreaterThan(400);
  });

  it("keeps NaN and +∞ and zeroes −∞, as numpy does", () => {
    const x = new Float64Array([-Infinity, -1, -0, 0, 0.5, Infinity, Number.NaN, 2]);
    const out = new Relu(8, 1).forward(x, 1);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0.5, Infinity, Number.NaN, 2]);
    expect(Object.is(out[0], 0) && Object.is(out[2], 0)).toBe(true);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8])(
    "zeroes a lone −∞ at element %i of 9, and takes back a lone −∞'s gradient where the output is 0",
    (at) => {
      // −∞ · 0 is NaN in the branch-free pass: whichever element it is, the plain comparison must redo it.
      const relu = new Relu(3, 3);
      const x = new Float64Array([1, -1, 2, -2, 3, -3, 4, -4, 5]);
      x[at] = -Infinity;
      const out = relu.forward(x, 3);
      expect(Array.from(out)).toEqual(Array.from(numpyRelu(x), (v) => v + 0));
      const dout = new Float64Array(9).fill(1);
      dout[at] = -Infinity;
      const dx = relu.backward(dout, 3);
      expect(Array.from(dx)).toEqual(Array.from(out, (v, i) => (v === 0 ? 0 : dout[i])));
    },
  );

  it("passes the gradient where the output is not 0 and gives 0 elsewhere, even for NaN or ∞", () => {
    const relu = new Relu(6, 1);
    relu.forward(new Float64Array([1, -1, 2, -2, Number.NaN, 0]), 1);
    const finite = relu.backward(new Float64Array([0.5, 0.25, -3, 4, 5, 6]), 1);
    expect(Array.from(finite)).toEqual([0.5, 0, -3, 0, 5, 0]);
    const nonFinite = relu.backward(new Float64Array([Infinity, Number.NaN, Number.NaN, -Infinity, 1, Infinity]), 1);
    expect(Array.from(nonFinite)).toEqual([Infinity, 0, Number.NaN, 0, 1, 0]);
  });
});

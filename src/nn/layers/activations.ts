/** Element-wise activations: ReLU and Sigmoid. */

import type { Layer, Param } from "./layer";

abstract class Elementwise implements Layer {
  abstract readonly kind: string;
  protected readonly out: Float64Array;
  protected readonly dx: Float64Array;

  constructor(
    protected readonly size: number,
    maxRows: number,
  ) {
    this.out = new Float64Array(size * maxRows);
    this.dx = new Float64Array(size * maxRows);
  }

  abstract forward(x: Float64Array, rows: number): Float64Array;
  abstract backward(dout: Float64Array, rows: number): Float64Array;

  params(): Param[] {
    return [];
  }

  buffers(): Record<string, Float64Array> {
    return {};
  }
}

/**
 * ReLU as numpy's `x[x <= 0] = 0`: NaN passes through, as in the reference. Both passes run
 * without branches (`+(v > 0)` compiles to a flag, not a jump), because the signs of the inputs
 * are random and a branch costs ~5 ns a mispredicted element against ~1 ns. The branch-free
 * forms differ from the reference only for non-finite inputs (−∞ · 0 is NaN), so a pass that
 * meets one is redone with the plain comparison.
 */
export class Relu extends Elementwise {
  readonly kind = "relu";

  forward(x: Float64Array, rows: number): Float64Array {
    const { out } = this;
    const len = rows * this.size;
    // Four elements a pass, each with its own sum to check: one sum would chain every element's
    // add behind the last one's, and the loop's own work costs as much as an element's.
    let check0 = 0;
    let check1 = 0;
    let check2 = 0;
    let check3 = 0;
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const v0 = x[i];
      const v1 = x[i + 1];
      const v2 = x[i + 2];
      const v3 = x[i + 3];
      // v · 1 + 0 = v; v · 0 + 0 = +0 for finite v ≤ 0.
      out[i] = v0 * +(v0 > 0) + 0;
      out[i + 1] = v1 * +(v1 > 0) + 0;
      out[i + 2] = v2 * +(v2 > 0) + 0;
      out[i + 3] = v3 * +(v3 > 0) + 0;
      check0 += v0 - v0;
      check1 += v1 - v1;
      check2 += v2 - v2;
      check3 += v3 - v3;
    }
    for (; i < len; i++) {
      const v = x[i];
      out[i] = v * +(v > 0) + 0;
      check0 += v - v;
    }
    // Math.max keeps NaN and gives +0 for −0 and −∞, as numpy's mask `x <= 0` does.
    if (check0 + check1 + check2 + check3 !== 0) for (let i = 0; i < len; i++) out[i] = Math.max(x[i], 0);
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const { out, dx } = this;
    const len = rows * this.size;
    let check0 = 0;
    let check1 = 0;
    let check2 = 0;
    let check3 = 0;
    let i = 0;
    // out is 0 exactly where the input was <= 0: the mask of the forward pass.
    for (; i + 4 <= len; i += 4) {
      const d0 = dout[i];
      const d1 = dout[i + 1];
      const d2 = dout[i + 2];
      const d3 = dout[i + 3];
      dx[i] = d0 * +(out[i] !== 0);
      dx[i + 1] = d1 * +(out[i + 1] !== 0);
      dx[i + 2] = d2 * +(out[i + 2] !== 0);
      dx[i + 3] = d3 * +(out[i + 3] !== 0);
      check0 += d0 - d0;
      check1 += d1 - d1;
      check2 += d2 - d2;
      check3 += d3 - d3;
    }
    for (; i < len; i++) {
      const d = dout[i];
      dx[i] = d * +(out[i] !== 0);
      check0 += d - d;
    }
    if (check0 + check1 + check2 + check3 !== 0) for (let i = 0; i < len; i++) dx[i] = out[i] === 0 ? 0 : dout[i];
    return dx;
  }
}

/** Sigmoid 1 / (1 + e^-x); backward dout · (1 - y) · y. */
export class Sigmoid extends Elementwise {
  readonly kind = "sigmoid";

  forward(x: Float64Array, rows: number): Float64Array {
    const { out } = this;
    const len = rows * this.size;
    for (let i = 0; i < len; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const { out, dx } = this;
    const len = rows * this.size;
    for (let i = 0; i < len; i++) dx[i] = dout[i] * (1.0 - out[i]) * out[i];
    return dx;
  }
}

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
    let check = 0;
    for (let i = 0; i < len; i++) {
      const v = x[i];
      // v · 1 + 0 = v; v · 0 + 0 = +0 for finite v ≤ 0.
      out[i] = v * +(v > 0) + 0;
      check += v - v;
    }
    // Math.max keeps NaN and gives +0 for −0 and −∞, as numpy's mask `x <= 0` does.
    if (check !== 0) for (let i = 0; i < len; i++) out[i] = Math.max(x[i], 0);
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const { out, dx } = this;
    const len = rows * this.size;
    let check = 0;
    // out is 0 exactly where the input was <= 0: the mask of the forward pass.
    for (let i = 0; i < len; i++) {
      const d = dout[i];
      dx[i] = d * +(out[i] !== 0);
      check += d - d;
    }
    if (check !== 0) for (let i = 0; i < len; i++) dx[i] = out[i] === 0 ? 0 : dout[i];
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

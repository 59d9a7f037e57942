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

/** ReLU as numpy's `x[x <= 0] = 0`: NaN passes through, as in the reference. */
export class Relu extends Elementwise {
  readonly kind = "relu";

  forward(x: Float64Array, rows: number): Float64Array {
    const { out } = this;
    const len = rows * this.size;
    // Math.max keeps NaN, as numpy's mask `x <= 0` does.
    for (let i = 0; i < len; i++) out[i] = Math.max(x[i], 0);
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const { out, dx } = this;
    const len = rows * this.size;
    // out is 0 exactly where the input was <= 0: the mask of the forward pass.
    for (let i = 0; i < len; i++) dx[i] = out[i] === 0 ? 0 : dout[i];
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

/** Affine layer: out = x · W + b. */

import { matmul, matmulSparse, matmulSparseTransA, matmulTransA, matmulTransB, matmulTransBMasked } from "../linalg/matmul";
import { SparseRows } from "../linalg/sparse-rows";
import type { Layer, Param } from "./layer";

/**
 * Which input gradient the layer computes: none (the first layer: nobody reads it), all of it,
 * or only where the input is not 0 (after a ReLU, which zeroes the rest, as the mask of its
 * forward pass is exactly the zeros of its output).
 */
export type InputGrad = "none" | "full" | "where-input-non-zero";

/** Fully connected layer with weights `inSize × outSize` (row-major) and a bias row. */
export class Affine implements Layer {
  readonly kind = "affine";
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly dW: Float64Array;
  readonly db: Float64Array;
  private x: Float64Array | SparseRows = new Float64Array(0);
  /** The layer's output: x · W + b for the rows of the last forward pass. */
  readonly out: Float64Array;
  private readonly dx: Float64Array;

  constructor(
    readonly inSize: number,
    readonly outSize: number,
    maxRows: number,
    private readonly inputGrad: InputGrad = "full",
  ) {
    this.W = new Float64Array(inSize * outSize);
    this.b = new Float64Array(outSize);
    this.dW = new Float64Array(inSize * outSize);
    this.db = new Float64Array(outSize);
    this.out = new Float64Array(maxRows * outSize);
    this.dx = new Float64Array(inputGrad === "none" ? 0 : maxRows * inSize);
  }

  /** `x` as its non-zeros for a network's input (pixels), dense otherwise. */
  forward(x: Float64Array | SparseRows, rows: number): Float64Array {
    this.multiply(x, rows);
    return this.forwardAfterProduct(x, rows);
  }

  /** x · W into `out`, the bias not yet added. */
  multiply(x: Float64Array | SparseRows, rows: number): void {
    if (x instanceof SparseRows) {
      matmulSparse(x, this.W, this.out, this.outSize);
    } else {
      matmul(x, this.W, this.out, rows, this.inSize, this.outSize);
    }
  }

  /** {@link forward} once `out` holds x · W (a product shared with another network's first layer). */
  forwardAfterProduct(x: Float64Array | SparseRows, rows: number): Float64Array {
    this.x = x;
    const { out, b, outSize: n } = this;
    // Four a pass: the loop's own work costs as much as an addition.
    for (let i = 0, k = 0; i < rows; i++) {
      let j = 0;
      for (; j + 4 <= n; j += 4, k += 4) {
        out[k] += b[j];
        out[k + 1] += b[j + 1];
        out[k + 2] += b[j + 2];
        out[k + 3] += b[j + 3];
      }
      for (; j < n; j++, k++) out[k] += b[j];
    }
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const { x, outSize: n } = this;
    if (x instanceof SparseRows) {
      matmulSparseTransA(x, dout, this.dW, n);
    } else {
      matmulTransA(x, dout, this.dW, rows, this.inSize, n);
    }
    return this.backwardExceptWeights(dout, rows);
  }

  /** {@link backward} without dW = xᵀ · dout, which the caller computes (shared by two networks' first layers). */
  backwardExceptWeights(dout: Float64Array, rows: number): Float64Array {
    const { x, outSize: n } = this;
    this.db.fill(0);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) this.db[j] += dout[i * n + j];
    }
    if (this.inputGrad === "full") {
      matmulTransB(dout, this.W, this.dx, rows, n, this.inSize);
    } else if (this.inputGrad === "where-input-non-zero") {
      matmulTransBMasked(dout, this.W, x instanceof SparseRows ? x.toDense() : x, this.dx, rows, n, this.inSize);
    }
    return this.dx;
  }

  params(): Param[] {
    return [
      { name: "W", value: this.W, grad: this.dW },
      { name: "b", value: this.b, grad: this.db },
    ];
  }

  buffers(): Record<string, Float64Array> {
    return {};
  }
}

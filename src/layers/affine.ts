/** Affine layer: out = x · W + b. */

import { MatMul, transpose } from "../linalg/matmul";
import type { Layer, Param } from "./layer";

/** Fully connected layer with weights `inSize × outSize` (row-major) and a bias row. */
export class Affine implements Layer {
  readonly kind = "affine";
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly dW: Float64Array;
  readonly db: Float64Array;
  private x: Float64Array = new Float64Array(0);
  private readonly out: Float64Array;
  private readonly dx: Float64Array;
  private readonly xT: Float64Array;
  private readonly WT: Float64Array;
  private readonly matmul: MatMul;

  /** `needsInputGrad: false` for the first layer, whose input gradient nobody reads. */
  constructor(
    readonly inSize: number,
    readonly outSize: number,
    maxRows: number,
    private readonly needsInputGrad = true,
  ) {
    this.W = new Float64Array(inSize * outSize);
    this.b = new Float64Array(outSize);
    this.dW = new Float64Array(inSize * outSize);
    this.db = new Float64Array(outSize);
    this.out = new Float64Array(maxRows * outSize);
    this.dx = new Float64Array(needsInputGrad ? maxRows * inSize : 0);
    this.xT = new Float64Array(maxRows * inSize);
    this.WT = new Float64Array(needsInputGrad ? inSize * outSize : 0);
    this.matmul = new MatMul(Math.max(inSize, outSize, maxRows));
  }

  forward(x: Float64Array, rows: number): Float64Array {
    this.x = x;
    const { out, b, outSize: n } = this;
    this.matmul.multiply(x, this.W, out, rows, this.inSize, n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) out[i * n + j] += b[j];
    }
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const n = this.outSize;
    // dW = xᵀ · dout and dx = dout · Wᵀ as plain products of transposed copies.
    transpose(this.x, this.xT, rows, this.inSize);
    this.matmul.multiply(this.xT, dout, this.dW, this.inSize, rows, n);
    this.db.fill(0);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) this.db[j] += dout[i * n + j];
    }
    if (this.needsInputGrad) {
      transpose(this.W, this.WT, this.inSize, n);
      this.matmul.multiply(dout, this.WT, this.dx, rows, n, this.inSize);
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

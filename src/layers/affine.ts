/** Affine layer: out = x · W + b. */

import { matmul, matmulTransA, matmulTransB } from "../linalg/matmul";
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
  }

  forward(x: Float64Array, rows: number): Float64Array {
    this.x = x;
    const { out, b, outSize: n } = this;
    matmul(x, this.W, out, rows, this.inSize, n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) out[i * n + j] += b[j];
    }
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const n = this.outSize;
    matmulTransA(this.x, dout, this.dW, rows, this.inSize, n);
    this.db.fill(0);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) this.db[j] += dout[i * n + j];
    }
    if (this.needsInputGrad) {
      matmulTransB(dout, this.W, this.dx, rows, n, this.inSize);
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

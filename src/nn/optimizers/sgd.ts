/** Stochastic gradient descent: p -= lr · g. */

import type { Param } from "../layers/layer";
import { subtractScaledRows } from "../linalg/matmul";
import type { Optimizer, OptimizerState, SparseGradient } from "./optimizer";

/** Plain SGD; stateless. A zero gradient leaves a value as it is (v − lr·0 is v), so a sparse one updates its rows only. */
export class Sgd implements Optimizer {
  readonly kind = "sgd";

  /** A parameter updated whole: its one row, as long as the parameter. */
  private readonly wholeRow = new Int32Array(1);

  constructor(private readonly lr: number) {}

  update(params: Param[], sparse?: SparseGradient): boolean {
    const lr = this.lr;
    // With a learning rate of −0, v − lr·(+0) is v − (−0), which turns a −0 weight into +0.
    const rowsOnly = sparse !== undefined && !Object.is(lr, -0);
    let kept = false;
    for (const param of params) {
      const { value, grad } = param;
      if (!rowsOnly || param !== sparse.param) {
        subtractScaledRows(value, grad, lr, this.wholeRow, 1, value.length, undefined);
        continue;
      }
      // The listed rows, also written into the kernel's kept packing of this weight where it is
      // kept: the routine lives in the kernel because only its closure holds that packing.
      kept = subtractScaledRows(value, grad, lr, sparse.rows, sparse.count, sparse.width, sparse.kept);
    }
    return kept;
  }

  getState(): OptimizerState {
    return { tensors: [], scalars: [] };
  }

  setState(): void {}
}

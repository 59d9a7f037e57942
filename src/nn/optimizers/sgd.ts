/** Stochastic gradient descent: p -= lr · g. */

import type { Param } from "../layers/layer";
import type { Optimizer, OptimizerState } from "./optimizer";

/** Plain SGD; stateless. */
export class Sgd implements Optimizer {
  readonly kind = "sgd";

  constructor(private readonly lr: number) {}

  update(params: Param[]): void {
    const lr = this.lr;
    for (const { value, grad } of params) {
      for (let i = 0; i < value.length; i++) value[i] -= lr * grad[i];
    }
  }

  getState(): OptimizerState {
    return { tensors: [], scalars: [] };
  }

  setState(): void {}
}

/** AdaGrad: h += g²; p -= lr · g / (√h + 1e-7). */

import type { Param } from "../layers/layer";
import { type Optimizer, type OptimizerState, setTensors } from "./optimizer";

/** AdaGrad with one sum of squared gradients per parameter. */
export class AdaGrad implements Optimizer {
  readonly kind = "adagrad";
  private readonly h: Float64Array[];

  constructor(
    params: Param[],
    private readonly lr: number,
  ) {
    this.h = params.map((p) => new Float64Array(p.value.length));
  }

  update(params: Param[]): boolean {
    const lr = this.lr;
    params.forEach(({ value, grad }, k) => {
      const h = this.h[k];
      for (let i = 0; i < value.length; i++) {
        h[i] += grad[i] * grad[i];
        value[i] -= (lr * grad[i]) / (Math.sqrt(h[i]) + 1e-7);
      }
    });
    return false;
  }

  getState(): OptimizerState {
    return { tensors: this.h, scalars: [] };
  }

  setState(state: OptimizerState): void {
    setTensors(this.h, state.tensors, this.kind);
  }
}

/** Momentum SGD: v = μv − lr·g; p += v. */

import type { Param } from "../layers/layer";
import { type Optimizer, type OptimizerState, setTensors } from "./optimizer";

/** Momentum with one velocity per parameter, starting at zero. */
export class Momentum implements Optimizer {
  readonly kind = "momentum";
  private readonly v: Float64Array[];

  constructor(
    params: Param[],
    private readonly lr: number,
    private readonly momentum = 0.9,
  ) {
    this.v = params.map((p) => new Float64Array(p.value.length));
  }

  update(params: Param[]): boolean {
    const { lr, momentum } = this;
    params.forEach(({ value, grad }, k) => {
      const v = this.v[k];
      for (let i = 0; i < value.length; i++) {
        v[i] = momentum * v[i] - lr * grad[i];
        value[i] += v[i];
      }
    });
    return false;
  }

  getState(): OptimizerState {
    return { tensors: this.v, scalars: [] };
  }

  setState(state: OptimizerState): void {
    setTensors(this.v, state.tensors, this.kind);
  }
}

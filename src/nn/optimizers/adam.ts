/** Adam as in the book: bias correction folded into the step size. */

import type { Param } from "../layers/layer";
import { type Optimizer, type OptimizerState, setTensors } from "./optimizer";

/** Adam with first and second moments per parameter and a step count. */
export class Adam implements Optimizer {
  readonly kind = "adam";
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private iter = 0;

  constructor(
    params: Param[],
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
  ) {
    this.m = params.map((p) => new Float64Array(p.value.length));
    this.v = params.map((p) => new Float64Array(p.value.length));
  }

  update(params: Param[]): boolean {
    const { beta1, beta2 } = this;
    this.iter += 1;
    const lrT = (this.lr * Math.sqrt(1.0 - beta2 ** this.iter)) / (1.0 - beta1 ** this.iter);
    params.forEach(({ value, grad }, k) => {
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < value.length; i++) {
        const g = grad[i];
        m[i] += (1 - beta1) * (g - m[i]);
        v[i] += (1 - beta2) * (g * g - v[i]);
        value[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + 1e-7);
      }
    });
    return false;
  }

  getState(): OptimizerState {
    return { tensors: [...this.m, ...this.v], scalars: [this.iter] };
  }

  setState(state: OptimizerState): void {
    setTensors([...this.m, ...this.v], state.tensors, this.kind);
    this.iter = state.scalars[0] ?? 0;
  }
}

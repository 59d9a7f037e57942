/** Dropout as in the book: training keeps units where rand > ratio, evaluation scales by 1 - ratio. */

import type { NumpyRandom } from "../../numpy/random-state";
import type { Layer, Param } from "./layer";

/** Draws its mask from the experiment's stream (`np.random.rand(*x.shape)`), row-major. */
export class Dropout implements Layer {
  readonly kind = "dropout";
  private readonly mask: Float64Array;
  private readonly out: Float64Array;
  private readonly dx: Float64Array;

  constructor(
    private readonly size: number,
    maxRows: number,
    private readonly ratio: number,
    private readonly rng: NumpyRandom,
  ) {
    this.mask = new Float64Array(size * maxRows);
    this.out = new Float64Array(size * maxRows);
    this.dx = new Float64Array(size * maxRows);
  }

  forward(x: Float64Array, rows: number, train: boolean): Float64Array {
    const len = rows * this.size;
    const { out, mask } = this;
    if (train) {
      for (let i = 0; i < len; i++) {
        mask[i] = this.rng.randomSample() > this.ratio ? 1 : 0;
        out[i] = x[i] * mask[i];
      }
    } else {
      const keep = 1.0 - this.ratio;
      for (let i = 0; i < len; i++) out[i] = x[i] * keep;
    }
    return out;
  }

  backward(dout: Float64Array, rows: number): Float64Array {
    const len = rows * this.size;
    for (let i = 0; i < len; i++) this.dx[i] = dout[i] * this.mask[i];
    return this.dx;
  }

  params(): Param[] {
    return [];
  }

  buffers(): Record<string, Float64Array> {
    return {};
  }
}

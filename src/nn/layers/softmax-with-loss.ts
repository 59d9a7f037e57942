/** Softmax with cross-entropy loss, the last layer of the network. */

/** The reference's guard against log(0); its backward ignores it. */
export const LOG_EPSILON = 1e-7;

/** Softmax of each row (row max subtracted) and the mean of −log(y[t] + logEpsilon). */
export class SoftmaxWithLoss {
  private readonly y: Float64Array;
  private readonly dx: Float64Array;
  private labels: Uint8Array | Int32Array = new Uint8Array(0);

  constructor(
    private readonly classes: number,
    maxRows: number,
    private readonly logEpsilon = LOG_EPSILON,
  ) {
    this.y = new Float64Array(classes * maxRows);
    this.dx = new Float64Array(classes * maxRows);
  }

  /** Returns the loss; NaN logits give a NaN loss, as numpy would. */
  forward(x: Float64Array, labels: Uint8Array | Int32Array, rows: number): number {
    this.labels = labels;
    const { classes: c, y } = this;
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      const o = i * c;
      let max = x[o];
      // np.max propagates NaN: once max is NaN no comparison replaces it.
      for (let j = 1; j < c; j++) if (x[o + j] > max || Number.isNaN(x[o + j])) max = x[o + j];
      let sum = 0;
      for (let j = 0; j < c; j++) {
        const e = Math.exp(x[o + j] - max);
        y[o + j] = e;
        sum += e;
      }
      for (let j = 0; j < c; j++) y[o + j] /= sum;
      loss -= Math.log(y[o + labels[i]] + this.logEpsilon);
    }
    return loss / rows;
  }

  /** (y − onehot(t)) / N */
  backward(rows: number): Float64Array {
    const { classes: c, y, dx, labels } = this;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < c; j++) {
        const k = i * c + j;
        dx[k] = (j === labels[i] ? y[k] - 1 : y[k]) / rows;
      }
    }
    return dx;
  }
}

/** Index of the largest value of each row, numpy's rule: first maximum wins, NaN is the maximum. */
export function argmaxRow(x: Float64Array, offset: number, length: number): number {
  let best = 0;
  let max = x[offset];
  if (Number.isNaN(max)) return 0;
  for (let j = 1; j < length; j++) {
    const v = x[offset + j];
    if (Number.isNaN(v)) return j;
    if (v > max) {
      max = v;
      best = j;
    }
  }
  return best;
}

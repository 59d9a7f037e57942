/** The book's `MultiLayerNetExtend`: Affine → [BatchNorm] → activation → [Dropout], then softmax. */

import { type Dataset, gatherSparseRows } from "../data/dataset";
import type { NumpyRandom } from "../numpy/random-state";
import { Relu, Sigmoid } from "./layers/activations";
import { Affine } from "./layers/affine";
import { BatchNorm } from "./layers/batch-norm";
import { Dropout } from "./layers/dropout";
import type { Layer, Param } from "./layers/layer";
import { argmaxRow, SoftmaxWithLoss } from "./layers/softmax-with-loss";
import { SparseRows } from "./linalg/sparse-rows";

/** A weight scale: a number, or `he` = √(2/in) and `xavier` = √(1/in) per layer. */
export type WeightScale = number | "he" | "xavier";

/** The hidden activations the network offers. */
export const ACTIVATIONS = ["relu", "sigmoid"] as const;
/** One of {@link ACTIVATIONS}. */
export type Activation = (typeof ACTIVATIONS)[number];

/** Shape and options of a {@link MultiLayerNet}. */
export interface MultiLayerNetOptions {
  inputSize: number;
  hiddenSizes: readonly number[];
  outputSize: number;
  activation: Activation;
  weightScale: WeightScale;
  useBatchNorm: boolean;
  weightDecay: number;
  /** Dropout ratio; 0 leaves dropout out. */
  dropout: number;
  /** The most rows a forward pass takes at once (the batch, or an evaluation chunk). */
  maxRows: number;
  /** Draws the initial weights (in layer order) and the dropout masks. */
  rng: NumpyRandom;
  /** Added to y[t] inside the log of the loss; 1e-7 as the reference, 0 for an exact derivative. */
  logEpsilon?: number;
}

/** Scale of layer weights with `inSize` inputs. */
export function layerScale(scale: WeightScale, inSize: number): number {
  if (scale === "he") return Math.sqrt(2.0 / inSize);
  if (scale === "xavier") return Math.sqrt(1.0 / inSize);
  return scale;
}

/** A fully connected network whose every buffer is allocated once, at construction. */
export class MultiLayerNet {
  readonly affines: Affine[] = [];
  readonly batchNorms: BatchNorm[] = [];
  private readonly layers: Layer[] = [];
  private readonly lastLayer: SoftmaxWithLoss;
  private readonly allParams: Param[] = [];
  private readonly input: SparseRows;
  private readonly inputIndices: Int32Array;
  readonly options: Readonly<MultiLayerNetOptions>;

  constructor(options: MultiLayerNetOptions) {
    this.options = options;
    const { inputSize, hiddenSizes, outputSize, maxRows, rng } = options;
    const sizes = [inputSize, ...hiddenSizes, outputSize];
    for (let l = 0; l < sizes.length - 1; l++) {
      // The ReLU before a layer zeroes its input gradient wherever its output (the layer's
      // input) is 0; a dropout between them would let NaN · 0 through, so it opts out.
      const inputGrad =
        l === 0 ? "none" : options.activation === "relu" && options.dropout === 0 ? "where-input-non-zero" : "full";
      const affine = new Affine(sizes[l], sizes[l + 1], maxRows, inputGrad);
      rng.fillNormal(affine.W, layerScale(options.weightScale, sizes[l]));
      this.affines.push(affine);
      this.layers.push(affine);
      this.allParams.push(...named(affine.params(), l + 1));
      if (l === sizes.length - 2) break;
      const size = sizes[l + 1];
      if (options.useBatchNorm) {
        const bn = new BatchNorm(size, maxRows);
        this.batchNorms.push(bn);
        this.layers.push(bn);
        this.allParams.push(...named(bn.params(), l + 1));
      }
      this.layers.push(options.activation === "relu" ? new Relu(size, maxRows) : new Sigmoid(size, maxRows));
      if (options.dropout > 0) this.layers.push(new Dropout(size, maxRows, options.dropout, rng));
    }
    this.lastLayer = new SoftmaxWithLoss(outputSize, maxRows, options.logEpsilon);
    this.input = new SparseRows(inputSize, maxRows);
    this.inputIndices = new Int32Array(maxRows);
  }

  /** Parameters in the book's order (W1, b1, gamma1, beta1, W2, …) with their gradients. */
  params(): Param[] {
    return this.allParams;
  }

  /** Logits of `rows` input rows, given dense or as their non-zeros. */
  predict(x: Float64Array | SparseRows, rows: number, train: boolean): Float64Array {
    const layers = this.layers;
    // The first layer is the first affine, the only one that takes sparse rows.
    let out = this.affines[0].forward(x, rows);
    for (let l = 1; l < layers.length; l++) out = layers[l].forward(out, rows, train);
    return out;
  }

  /** Training-mode loss, weight decay included. */
  loss(x: Float64Array | SparseRows, labels: Uint8Array | Int32Array, rows: number): number {
    const logits = this.predict(x, rows, true);
    return this.lastLayer.forward(logits, labels, rows) + this.weightDecayLoss();
  }

  /** Forward and backward on a batch: fills every parameter's gradient, returns the loss. */
  gradient(x: Float64Array | SparseRows, labels: Uint8Array | Int32Array, rows: number): number {
    const loss = this.loss(x, labels, rows);
    let dout = this.lastLayer.backward(rows);
    for (let l = this.layers.length - 1; l >= 0; l--) dout = this.layers[l].backward(dout, rows);
    const lambda = this.options.weightDecay;
    if (lambda !== 0) {
      for (const { W, dW } of this.affines) for (let i = 0; i < W.length; i++) dW[i] += lambda * W[i];
    }
    return loss;
  }

  /** Share of the first `count` images of `data` classified right, in evaluation mode. */
  accuracy(data: Dataset, count: number): number {
    const rowsPerChunk = this.options.maxRows;
    const classes = this.options.outputSize;
    let correct = 0;
    for (let start = 0; start < count; start += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, count - start);
      for (let r = 0; r < rows; r++) this.inputIndices[r] = start + r;
      gatherSparseRows(data, this.inputIndices, rows, this.input);
      const logits = this.predict(this.input, rows, false);
      for (let r = 0; r < rows; r++) {
        if (argmaxRow(logits, r * classes, classes) === data.labels[start + r]) correct++;
      }
    }
    return correct / count;
  }

  private weightDecayLoss(): number {
    const lambda = this.options.weightDecay;
    if (lambda === 0) return 0;
    let sum = 0;
    for (const { W } of this.affines) {
      let s = 0;
      for (let i = 0; i < W.length; i++) s += W[i] * W[i];
      sum += 0.5 * lambda * s;
    }
    return sum;
  }
}

function named(params: Param[], index: number): Param[] {
  return params.map((p) => ({ ...p, name: `${p.name}${index}` }));
}

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

/** A fully connected network whose every buffer is allocated once, at construction (evaluation's on first use). */
export class MultiLayerNet {
  readonly affines: Affine[] = [];
  readonly batchNorms: BatchNorm[] = [];
  private readonly layers: Layer[] = [];
  private readonly lastLayer: SoftmaxWithLoss;
  private readonly allParams: Param[] = [];
  /** Evaluation's chunk of images, made on the first {@link accuracy} (a {@link NetworkGroup} has its own). */
  private input: SparseRows | undefined;
  private inputIndices: Int32Array | undefined;
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
  }

  /** Parameters in the book's order (W1, b1, gamma1, beta1, W2, …) with their gradients. */
  params(): Param[] {
    return this.allParams;
  }

  /** The first layer: the only one that takes sparse rows, and the one two networks can share a product in. */
  get firstLayer(): Affine {
    return this.affines[0];
  }

  /** Logits of `rows` input rows, given dense or as their non-zeros. */
  predict(x: Float64Array | SparseRows, rows: number, train: boolean): Float64Array {
    this.firstLayer.multiply(x, rows);
    return this.predictAfterProduct(x, rows, train);
  }

  /** {@link predict} once the first layer's `out` holds x · W1 (see {@link NetworkGroup}). */
  predictAfterProduct(x: Float64Array | SparseRows, rows: number, train: boolean): Float64Array {
    const layers = this.layers;
    let out = this.firstLayer.forwardAfterProduct(x, rows);
    for (let l = 1; l < layers.length; l++) out = layers[l].forward(out, rows, train);
    return out;
  }

  /** Training-mode loss, weight decay included. */
  loss(x: Float64Array | SparseRows, labels: Uint8Array | Int32Array, rows: number): number {
    this.firstLayer.multiply(x, rows);
    return this.lossAfterProduct(x, labels, rows, true);
  }

  /** Forward and backward on a batch: fills every parameter's gradient, returns the loss. */
  gradient(x: Float64Array | SparseRows, labels: Uint8Array | Int32Array, rows: number): number {
    this.firstLayer.multiply(x, rows);
    const loss = this.lossAfterProduct(x, labels, rows, true);
    this.firstLayer.backward(this.backwardAboveFirst(rows), rows);
    this.addWeightDecayGrads();
    return loss;
  }

  /**
   * {@link gradient} once the first layer's `out` holds x · W1, leaving dW1 = xᵀ · dout and the
   * weight decay's terms to the caller ({@link NetworkGroup}); returns that dout. The loss itself,
   * which nobody reads there, is not summed.
   */
  gradientExceptFirstWeights(x: SparseRows, labels: Uint8Array | Int32Array, rows: number): Float64Array {
    this.lastLayer.forward(this.predictAfterProduct(x, rows, true), labels, rows);
    const firstDout = this.backwardAboveFirst(rows);
    this.firstLayer.backwardExceptWeights(firstDout, rows);
    return firstDout;
  }

  /** dW += λ·W for every layer (the gradient of the loss's weight decay). */
  addWeightDecayGrads(): void {
    const lambda = this.options.weightDecay;
    if (lambda === 0) return;
    for (const { W, dW } of this.affines) for (let i = 0; i < W.length; i++) dW[i] += lambda * W[i];
  }

  /** The loss once the first layer's `out` holds x · W1, weight decay included; `train` picks the mode. */
  lossAfterProduct(x: Float64Array | SparseRows, labels: Uint8Array | Int32Array, rows: number, train: boolean): number {
    const logits = this.predictAfterProduct(x, rows, train);
    return this.lastLayer.forward(logits, labels, rows) + this.weightDecayLoss();
  }

  /** Backward from the loss down to the first layer's output: the gradient it takes. */
  private backwardAboveFirst(rows: number): Float64Array {
    let dout = this.lastLayer.backward(rows);
    for (let l = this.layers.length - 1; l >= 1; l--) dout = this.layers[l].backward(dout, rows);
    return dout;
  }

  /** Share of the first `count` images of `data` classified right, in evaluation mode. */
  accuracy(data: Dataset, count: number): number {
    this.input ??= new SparseRows(this.options.inputSize, this.options.maxRows);
    this.inputIndices ??= new Int32Array(this.options.maxRows);
    let correct = 0;
    forEachChunk(data, count, this.input, this.inputIndices, (input, images, rows) => {
      correct += this.countCorrect(data, images, rows, this.predict(input, rows, false));
    });
    return correct / count;
  }

  /** Images images[0 … rows−1] classified right, given their logits. */
  countCorrect(data: Dataset, images: Int32Array, rows: number, logits: Float64Array): number {
    const classes = this.options.outputSize;
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      if (argmaxRow(logits, r * classes, classes) === data.labels[images[r]]) correct++;
    }
    return correct;
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

/**
 * Calls `each` with the first `count` images of `data` (or the images `order` lists, in its
 * order) gathered, as their non-zero pixels, into `input` chunk by chunk (`input.maxRows` rows at
 * a time), and the chunk's image indices; `indices` is scratch of that length.
 */
export function forEachChunk(
  data: Dataset,
  count: number,
  input: SparseRows,
  indices: Int32Array,
  each: (input: SparseRows, images: Int32Array, rows: number) => void,
  order?: Int32Array,
): void {
  for (let start = 0; start < count; start += input.maxRows) {
    const rows = Math.min(input.maxRows, count - start);
    for (let r = 0; r < rows; r++) indices[r] = order ? order[start + r] : start + r;
    gatherSparseRows(data, indices, rows, input);
    each(input, indices, rows);
  }
}

function named(params: Param[], index: number): Param[] {
  return params.map((p) => ({ ...p, name: `${p.name}${index}` }));
}

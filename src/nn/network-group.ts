/**
 * Networks of one shape trained on the same batches (an experiment's Batch Norm and plain network,
 * or the optimizers or initialisations a study compares): the batch's non-zero pixels are gathered
 * once and every first layer's product, every first-layer weight gradient, the evaluations and the
 * losses run in shared passes. Each network's arithmetic is its own, in its own order, so every
 * value equals training it alone.
 *
 * The kernel keeps the first layers' weights packed from one product to the next. So once the
 * group has run a product, its networks' first-layer weights must change only through
 * {@link update} (not by an optimizer called directly, nor by training a network alone or in
 * another group): a change made otherwise goes unseen, and the next products are silently wrong.
 * SGD over the batch's pixels' rows packs them as it computes them; after any other update that
 * network's W1 is packed again whole.
 */

import type { Dataset } from "../data/dataset";
import { type KeptWeights, matmulSparseShared, matmulSparseTransAShared, newKeptOwner } from "./linalg/matmul";
import { SparseRows } from "./linalg/sparse-rows";
import { forEachChunk, type MultiLayerNet } from "./multi-layer-net";
import type { Optimizer, SparseGradient } from "./optimizers/optimizer";

export class NetworkGroup {
  private readonly weights: readonly Float64Array[];
  private readonly products: readonly Float64Array[];
  private readonly weightGrads: readonly Float64Array[];
  private readonly firstDouts: Float64Array[];
  private readonly input: SparseRows;
  private readonly inputIndices: Int32Array;
  private readonly correct: number[];
  /** Each network's dW1 over the batch's non-empty pixels; count −1 where it is not sparse (see gradients). */
  private readonly firstSparse: SparseGradient[];
  /** The first layers' packing the kernel keeps; stale[s]: network s's W1 changed since, not in it. */
  private readonly kept: KeptWeights & { stale: boolean[] };
  private readonly width: number;

  constructor(readonly nets: readonly MultiLayerNet[]) {
    const [first, ...rest] = nets;
    const shape = (net: MultiLayerNet) =>
      `${net.firstLayer.inSize}×${net.firstLayer.outSize}, ${net.options.maxRows} rows, ${net.options.outputSize} classes`;
    for (const net of rest) {
      if (shape(net) !== shape(first)) throw new RangeError(`networks of a pair differ: ${shape(net)} against ${shape(first)}`);
    }
    this.weights = nets.map((net) => net.firstLayer.W);
    this.products = nets.map((net) => net.firstLayer.out);
    this.weightGrads = nets.map((net) => net.firstLayer.dW);
    this.firstDouts = nets.map(() => new Float64Array(0));
    this.input = new SparseRows(first.firstLayer.inSize, first.options.maxRows);
    this.inputIndices = new Int32Array(first.options.maxRows);
    this.correct = nets.map(() => 0);
    const rows = new Int32Array(first.firstLayer.inSize);
    this.kept = { owner: newKeptOwner(), stale: nets.map(() => true) };
    const owner = this.kept.owner;
    this.firstSparse = nets.map((net, s) => {
      const param = net.params().find((p) => p.grad === net.firstLayer.dW);
      if (!param) throw new Error("the first layer's weights are not among the network's parameters");
      return { param, rows, count: -1, width: net.firstLayer.outSize, kept: { owner, slot: s } };
    });
    this.width = first.firstLayer.outSize;
  }

  /** Every gradient of every network for one batch, as each network's `gradient` would fill it. */
  gradients(x: SparseRows, labels: Uint8Array | Int32Array, rows: number): void {
    const { nets, firstDouts, firstSparse, width } = this;
    this.firstProducts(x);
    for (let s = 0; s < nets.length; s++) firstDouts[s] = nets[s].gradientExceptFirstWeights(x, labels, rows);
    const count = matmulSparseTransAShared(x, firstDouts, this.weightGrads, width, firstSparse[0].rows);
    for (const net of nets) net.addWeightDecayGrads();
    // dW1 is +0 in the rows of the batch's empty pixels unless weight decay adds λ·W1 to them
    // (or a NaN or ±∞ in some dout made the products go apart: count −1).
    for (let s = 0; s < nets.length; s++) firstSparse[s].count = nets[s].options.weightDecay === 0 ? count : -1;
  }

  /** Each network's optimizer step on the gradients of {@link gradients}, the first layer's as sparse where it is. */
  update(optimizers: readonly Optimizer[]): void {
    const { nets, kept } = this;
    for (let s = 0; s < nets.length; s++) {
      const sparse = this.sparseGradient(s);
      if (!optimizers[s].update(nets[s].params(), sparse)) kept.stale[s] = true;
    }
  }

  /** Rows of network s's W1 that SGD updates after {@link gradients} (the batch's non-empty pixels'), or −1 for all. */
  sparseRowCount(s: number): number {
    return this.sparseGradient(s)?.count ?? -1;
  }

  /** Network s's first-layer weight gradient as sparse, after {@link gradients}, when it is (for its optimizer). */
  private sparseGradient(s: number): SparseGradient | undefined {
    const sparse = this.firstSparse[s];
    return sparse.count >= 0 ? sparse : undefined;
  }

  /** Each network's loss on a batch in evaluation mode (the book's `loss`), weight decay included, into `out`. */
  losses(x: SparseRows, labels: Uint8Array | Int32Array, rows: number, out: number[]): void {
    const { nets } = this;
    this.firstProducts(x);
    for (let s = 0; s < nets.length; s++) out[s] = nets[s].lossAfterProduct(x, labels, rows, false);
  }

  /** Each network's share of the first `count` images of `data` (or of those `order` lists) classified right, in evaluation mode. */
  accuracies(data: Dataset, count: number, order?: Int32Array): number[] {
    const { nets, correct } = this;
    correct.fill(0);
    forEachChunk(
      data,
      count,
      this.input,
      this.inputIndices,
      (input, images, rows) => {
        this.firstProducts(input);
        for (let s = 0; s < nets.length; s++) {
          correct[s] += nets[s].countCorrect(data, images, rows, nets[s].predictAfterProduct(input, rows, false));
        }
      },
      order,
    );
    return correct.map((c) => c / count);
  }

  /** x · W1 of every network into its first layer's `out`, from the packing kept since the last product. */
  private firstProducts(x: SparseRows): void {
    matmulSparseShared(x, this.weights, this.products, this.width, this.kept);
    this.kept.stale.fill(false);
  }
}

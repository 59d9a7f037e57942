import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/data/dataset";
import { gatherSparseRows } from "../../src/data/dataset";
import { SparseRows } from "../../src/nn/linalg/sparse-rows";
import { MultiLayerNet } from "../../src/nn/multi-layer-net";
import { NetworkGroup } from "../../src/nn/network-group";
import { Sgd } from "../../src/nn/optimizers/sgd";
import { NumpyRandom } from "../../src/numpy/random-state";

const PIXELS = 30;
const ROWS = 8;

/** `count` random images, a share `zeros` of their bytes zero, with labels 0–9. */
function images(rng: NumpyRandom, count: number, zeros = 0.7): Dataset {
  const bytes = new Uint8Array(count * PIXELS);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.randomSample() < zeros ? 0 : 1 + Math.floor(rng.randomSample() * 255);
  const labels = Uint8Array.from({ length: count }, () => Math.floor(rng.randomSample() * 10));
  return { count, pixelsPerImage: PIXELS, images: bytes, labels };
}

/** A Batch Norm and a plain network drawn from one seed, as an experiment makes them. */
function twoNets(seed: number, weightScale: number, weightDecay = 0.01): MultiLayerNet[] {
  const rng = new NumpyRandom(seed);
  return [true, false].map(
    (useBatchNorm) =>
      new MultiLayerNet({
        inputSize: PIXELS,
        hiddenSizes: [9, 7],
        outputSize: 10,
        activation: "relu",
        weightScale,
        useBatchNorm,
        weightDecay,
        dropout: 0,
        maxRows: ROWS,
        rng,
      }),
  );
}

/**
 * Three steps of the book's SGD on the pair's gradients, each network's first layer updated over
 * the rows the pair lists (`sparse`) or over all; every parameter after them, and each step's
 * count of listed rows (−1 where a network's gradient was not sparse).
 */
function trainSgd(
  nets: MultiLayerNet[],
  data: Dataset,
  sparse: boolean,
  learningRate = 0.1,
): { params: Float64Array[]; counts: number[] } {
  const pair = new NetworkGroup(nets);
  const optimizers = nets.map(() => new Sgd(learningRate));
  const rng = new NumpyRandom(5);
  const batch = new SparseRows(PIXELS, ROWS);
  const indices = new Int32Array(ROWS);
  const labels = new Int32Array(ROWS);
  const counts: number[] = [];
  for (let step = 0; step < 3; step++) {
    rng.fillChoice(data.count, indices);
    gatherSparseRows(data, indices, ROWS, batch);
    for (let r = 0; r < ROWS; r++) labels[r] = data.labels[indices[r]];
    pair.gradients(batch, labels, ROWS);
    nets.forEach((net, s) => {
      const rows = pair.sparseGradient(s);
      counts.push(rows?.count ?? -1);
      optimizers[s].update(net.params(), sparse ? rows : undefined);
    });
  }
  return { params: nets.flatMap((net) => net.params().map((p) => p.value.slice())), counts };
}

/** Three SGD steps on the same batches, by the pair or by each network alone; every parameter after them. */
function train(nets: MultiLayerNet[], data: Dataset, byPair: boolean): Float64Array[] {
  const pair = new NetworkGroup(nets);
  const rng = new NumpyRandom(5);
  const batch = new SparseRows(PIXELS, ROWS);
  const indices = new Int32Array(ROWS);
  const labels = new Int32Array(ROWS);
  for (let step = 0; step < 3; step++) {
    rng.fillChoice(data.count, indices);
    gatherSparseRows(data, indices, ROWS, batch);
    for (let r = 0; r < ROWS; r++) labels[r] = data.labels[indices[r]];
    if (byPair) pair.gradients(batch, labels, ROWS);
    else for (const net of nets) net.gradient(batch, labels, ROWS);
    for (const net of nets)
      for (const { value, grad } of net.params()) for (let i = 0; i < value.length; i++) value[i] -= 0.1 * grad[i];
  }
  return nets.flatMap((net) => net.params().map((p) => p.value.slice()));
}

/** Same doubles, NaN equal to NaN. */
const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || v === b[i]);

describe("two networks trained in shared passes", () => {
  const data = images(new NumpyRandom(11), 40);

  it("end with every parameter the same double as each trained alone", () => {
    const alone = train(twoNets(3, 0.5), data, false);
    const paired = train(twoNets(3, 0.5), data, true);
    expect(paired).toHaveLength(alone.length);
    for (const [i, p] of paired.entries()) expect(same(p, alone[i]), `parameter ${i}`).toBe(true);
  });

  it("equal each alone when one network has diverged to NaN (its products are taken apart)", () => {
    const [bn, plain] = twoNets(3, 0.5);
    plain.firstLayer.W[4] = Number.NaN;
    const alone = train([bn, plain], data, false);
    const [bn2, plain2] = twoNets(3, 0.5);
    plain2.firstLayer.W[4] = Number.NaN;
    const paired = train([bn2, plain2], data, true);
    for (const [i, p] of paired.entries()) expect(same(p, alone[i]), `parameter ${i}`).toBe(true);
    expect(paired.at(-2)?.every(Number.isNaN)).toBe(true);
  });

  describe("updated by SGD over only the batch's non-empty pixels' rows of W1", () => {
    // 90% zero bytes: a batch of 8 leaves ~40% of the 30 pixels empty.
    const sparseData = images(new NumpyRandom(12), 40, 0.9);
    const expectSameAsFull = (make: () => MultiLayerNet[], learningRate = 0.1) => {
      const full = trainSgd(make(), sparseData, false, learningRate);
      const sparse = trainSgd(make(), sparseData, true, learningRate);
      for (const [i, p] of sparse.params.entries()) expect(same(p, full.params[i]), `parameter ${i}`).toBe(true);
      return sparse.counts;
    };

    it("end with every parameter the double updating every row gives", () => {
      const counts = expectSameAsFull(() => twoNets(3, 0.5, 0));
      expect(counts).toHaveLength(6);
      expect(counts.every((c) => c > 0 && c < PIXELS - 5)).toBe(true);
    });

    it("update every row at a learning rate of −0, which turns a −0 weight into +0 (v − (−0))", () => {
      const withNegativeZeros = () => {
        const nets = twoNets(3, 0.5, 0);
        for (const net of nets) net.firstLayer.W.fill(-0);
        return nets;
      };
      expectSameAsFull(withNegativeZeros, -0);
      const plainW1 = trainSgd(withNegativeZeros(), sparseData, true, -0).params[10];
      expect(plainW1.every((v) => Object.is(v, 0))).toBe(true);
    });

    it("update every row under weight decay (λ·W1 is in every row of dW1)", () => {
      const counts = expectSameAsFull(() => twoNets(3, 0.5, 0.1));
      expect(counts).toEqual([-1, -1, -1, -1, -1, -1]);
    });

    it("update every row once a network diverged (0 · NaN makes the empty pixels' rows NaN, as numpy's do)", () => {
      const make = () => {
        const nets = twoNets(3, 0.5, 0);
        nets[1].params()[2].value[0] = Number.NaN;
        return nets;
      };
      const counts = expectSameAsFull(make);
      expect(counts).toEqual([-1, -1, -1, -1, -1, -1]);
      const plainW1 = trainSgd(make(), sparseData, true).params[10];
      expect(plainW1.every(Number.isNaN)).toBe(true);
    });
  });

  it("measure the accuracy each network measures alone, over several evaluation chunks", () => {
    const nets = twoNets(4, 0.3);
    train(nets, data, true);
    const pair = new NetworkGroup(nets);
    const both = pair.accuracies(data, 37);
    expect(both).toEqual(nets.map((net) => net.accuracy(data, 37)));
    expect(both.every((a) => a > 0 && a < 1)).toBe(true);
  });

  it("refuse networks of different shapes", () => {
    const rng = new NumpyRandom(1);
    const options = {
      inputSize: PIXELS,
      outputSize: 10,
      activation: "relu" as const,
      weightScale: 0.1,
      useBatchNorm: false,
      weightDecay: 0,
      dropout: 0,
      maxRows: ROWS,
      rng,
    };
    const a = new MultiLayerNet({ ...options, hiddenSizes: [9] });
    const b = new MultiLayerNet({ ...options, hiddenSizes: [8] });
    expect(() => new NetworkGroup([a, b])).toThrow(/differ: 30×8/);
  });
});

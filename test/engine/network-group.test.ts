import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/data/dataset";
import { gatherSparseRows } from "../../src/data/dataset";
import { SparseRows } from "../../src/nn/linalg/sparse-rows";
import { MultiLayerNet } from "../../src/nn/multi-layer-net";
import { NetworkGroup } from "../../src/nn/network-group";
import { Momentum } from "../../src/nn/optimizers/momentum";
import type { Optimizer } from "../../src/nn/optimizers/optimizer";
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
function twoNets(seed: number, weightScale: number, weightDecay = 0.01, firstWidth = 9): MultiLayerNet[] {
  const rng = new NumpyRandom(seed);
  return [true, false].map(
    (useBatchNorm) =>
      new MultiLayerNet({
        inputSize: PIXELS,
        hiddenSizes: [firstWidth, 7],
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

/** Networks trained by SGD step by step on batches of their own, as a pair or each alone (`step` may be interleaved with another's). */
function sgdTrainer(nets: MultiLayerNet[], data: Dataset, byPair: boolean, learningRate = 0.1) {
  const pair = new NetworkGroup(nets);
  const optimizers = nets.map(() => new Sgd(learningRate));
  const rng = new NumpyRandom(5);
  const batch = new SparseRows(PIXELS, ROWS);
  const indices = new Int32Array(ROWS);
  const labels = new Int32Array(ROWS);
  const counts: number[] = [];
  const step = () => {
    rng.fillChoice(data.count, indices);
    gatherSparseRows(data, indices, ROWS, batch);
    for (let r = 0; r < ROWS; r++) labels[r] = data.labels[indices[r]];
    if (byPair) {
      pair.gradients(batch, labels, ROWS);
      for (let s = 0; s < nets.length; s++) counts.push(pair.sparseRowCount(s));
      pair.update(optimizers);
    } else {
      nets.forEach((net, s) => {
        net.gradient(batch, labels, ROWS);
        optimizers[s].update(net.params());
      });
    }
  };
  const params = () => nets.flatMap((net) => net.params().map((p) => p.value.slice()));
  return { pair, step, counts, params };
}

/**
 * Three steps of the book's SGD, by the pair (each first layer updated over the rows it lists)
 * or by each network alone over all; every parameter after them, and each of the pair's steps'
 * count of listed rows (−1 where a network's gradient was not sparse).
 */
function trainSgd(
  nets: MultiLayerNet[],
  data: Dataset,
  byPair: boolean,
  learningRate = 0.1,
): { params: Float64Array[]; counts: number[] } {
  const trainer = sgdTrainer(nets, data, byPair, learningRate);
  for (let step = 0; step < 3; step++) trainer.step();
  return { params: trainer.params(), counts: trainer.counts };
}

/** Three steps of `optimizer` on the same batches, by the pair or by each network alone; every parameter after them. */
function train(
  nets: MultiLayerNet[],
  data: Dataset,
  byPair: boolean,
  optimizer: (net: MultiLayerNet) => Optimizer = () => new Sgd(0.1),
): Float64Array[] {
  const pair = new NetworkGroup(nets);
  const optimizers = nets.map(optimizer);
  const rng = new NumpyRandom(5);
  const batch = new SparseRows(PIXELS, ROWS);
  const indices = new Int32Array(ROWS);
  const labels = new Int32Array(ROWS);
  for (let step = 0; step < 3; step++) {
    rng.fillChoice(data.count, indices);
    gatherSparseRows(data, indices, ROWS, batch);
    for (let r = 0; r < ROWS; r++) labels[r] = data.labels[indices[r]];
    if (byPair) {
      pair.gradients(batch, labels, ROWS);
      pair.update(optimizers);
    } else {
      nets.forEach((net, s) => {
        net.gradient(batch, labels, ROWS);
        optimizers[s].update(net.params());
      });
    }
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

    // SGD packs those rows into the kept W1 as it updates them, four columns a block: widths 9 … 12 leave 1, 2, 3, 0 over.
    it.each([9, 10, 11, 12])("end with every parameter the double updating every row gives (first layer %i wide)", (width) => {
      const counts = expectSameAsFull(() => twoNets(3, 0.5, 0, width));
      expect(counts).toHaveLength(6);
      expect(counts.every((c) => c > 0 && c < PIXELS - 5)).toBe(true);
    });

    it("measure the accuracy each network measures alone after them (the evaluation reads the kept W1)", () => {
      const nets = twoNets(4, 0.3, 0);
      const trainer = sgdTrainer(nets, sparseData, true);
      for (let step = 0; step < 3; step++) trainer.step();
      const both = trainer.pair.accuracies(sparseData, 37);
      expect(both).toEqual(nets.map((net) => net.accuracy(sparseData, 37)));
      expect(both.every((a) => a > 0 && a < 1)).toBe(true);
    });

    it("end as each pair alone when two pairs' steps interleave (each one's products overwrite the other's kept W1)", () => {
      const alone = [
        trainSgd(twoNets(3, 0.5, 0), sparseData, true).params,
        trainSgd(twoNets(6, 0.2, 0), sparseData, true).params,
      ];
      const trainers = [sgdTrainer(twoNets(3, 0.5, 0), sparseData, true), sgdTrainer(twoNets(6, 0.2, 0), sparseData, true)];
      for (let step = 0; step < 3; step++) for (const trainer of trainers) trainer.step();
      trainers.forEach((trainer, t) => {
        for (const [i, p] of trainer.params().entries()) expect(same(p, alone[t][i]), `pair ${t}, parameter ${i}`).toBe(true);
      });
    });

    it("end as each network alone under momentum, which moves every row of W1 (its update reports so)", () => {
      const alone = train(twoNets(3, 0.5, 0), sparseData, false, (net) => new Momentum(net.params(), 0.1));
      const paired = train(twoNets(3, 0.5, 0), sparseData, true, (net) => new Momentum(net.params(), 0.1));
      for (const [i, p] of paired.entries()) expect(same(p, alone[i]), `parameter ${i}`).toBe(true);
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

    it("end as each alone when SGD overflows W1's listed rows to ±∞ (the kept W1 is then packed again, with 0 · ∞ as NaN)", () => {
      const full = trainSgd(twoNets(3, 0.5, 0), sparseData, false, Number.MAX_VALUE);
      const sparse = trainSgd(twoNets(3, 0.5, 0), sparseData, true, Number.MAX_VALUE);
      for (const [i, p] of sparse.params.entries()) expect(same(p, full.params[i]), `parameter ${i}`).toBe(true);
      // The first step's update overflowed (its rows listed); the products went apart from the second on.
      expect(sparse.counts.slice(0, 2).every((c) => c > 0)).toBe(true);
      expect(sparse.counts.slice(2)).toEqual([-1, -1, -1, -1]);
      const plainW1 = sparse.params[10];
      expect(plainW1.some(Number.isNaN) && !plainW1.every(Number.isNaN)).toBe(true);
    });

    it("multiply as each layer alone once SGD overflowed the kept W1's listed rows to ±∞ (0 · ∞ is NaN there)", () => {
      const nets = twoNets(3, 0.5, 0);
      // The last layer's weights ×1e10 make dW1 ~1e10, so that MAX_VALUE · dW1 overflows.
      for (const net of nets) {
        const last = net.params()[net.params().length - 2].value;
        for (let i = 0; i < last.length; i++) last[i] *= 1e10;
      }
      const trainer = sgdTrainer(nets, sparseData, true, Number.MAX_VALUE);
      trainer.step();
      expect(trainer.counts.every((c) => c > 0)).toBe(true);
      expect(nets[1].firstLayer.W.some((v) => Math.abs(v) === Number.POSITIVE_INFINITY)).toBe(true);
      const batch = new SparseRows(PIXELS, ROWS);
      gatherSparseRows(
        sparseData,
        Int32Array.from({ length: ROWS }, (_, r) => r),
        ROWS,
        batch,
      );
      trainer.pair.losses(batch, new Int32Array(ROWS), ROWS, [0, 0]);
      for (const net of nets) {
        const paired = net.firstLayer.out.slice(0, ROWS * 9);
        const alone = net.firstLayer.forward(batch, ROWS).slice(0, ROWS * 9);
        expect(same(paired, alone)).toBe(true);
        expect(alone.some(Number.isNaN)).toBe(true);
      }
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

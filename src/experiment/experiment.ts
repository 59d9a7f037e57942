/** One weight-scale experiment: the BN and the plain network trained side by side on the same batches. */

import { type Dataset, gatherSparseRows, type MnistData } from "../data/dataset";
import { SparseRows } from "../nn/linalg/sparse-rows";
import { MultiLayerNet } from "../nn/multi-layer-net";
import { NetworkPair } from "../nn/network-pair";
import { createOptimizer } from "../nn/optimizers/create-optimizer";
import type { Optimizer } from "../nn/optimizers/optimizer";
import { NumpyRandom } from "../numpy/random-state";
import { decodeRandomState } from "../numpy/random-state-text";
import { type ExperimentConfig, itersPerEpoch } from "./config";

/** Accuracy lists, one point per evaluation (per epoch); the test lists only when test images are measured. */
export interface AccuracyLists {
  plain: number[];
  batchNorm: number[];
  testPlain?: number[];
  testBatchNorm?: number[];
}

/** An experiment's lists with what tells it apart in a sweep. */
export interface ExperimentResult extends AccuracyLists {
  weightScale: ExperimentConfig["weightScale"];
  seed: number;
}

/** Smallest evaluation chunk, so that a tiny batch size does not make evaluation crawl. */
const MIN_EVAL_ROWS = 100;

/** One network and its optimizer. */
export interface Trainee {
  net: MultiLayerNet;
  optimizer: Optimizer;
}

/**
 * The reference's loop as a state machine: iteration i draws a batch, steps the BN network then
 * the plain one, and evaluates both when i % itersPerEpoch == 0. {@link advance} runs a bounded
 * slice, so a caller can checkpoint between slices.
 */
export class Experiment {
  readonly config: Readonly<ExperimentConfig>;
  readonly rng: NumpyRandom;
  readonly batchNorm: Trainee;
  readonly plain: Trainee;
  /** Iterations done so far. */
  iteration = 0;
  readonly lists: Required<AccuracyLists> = { plain: [], batchNorm: [], testPlain: [], testBatchNorm: [] };
  private readonly train: Dataset;
  private readonly test: Dataset;
  private readonly batchIndices: Int32Array;
  private readonly batchLabels: Int32Array;
  private readonly batchX: SparseRows;
  /** BN first, then plain: the order in which the reference steps them (and draws their dropout masks). */
  private readonly trainees: readonly Trainee[];
  private readonly pair: NetworkPair;

  constructor(config: ExperimentConfig, data: MnistData) {
    checkConfig(config, data);
    this.config = config;
    this.train = data.train;
    this.test = data.test;
    this.rng = new NumpyRandom(config.seed);
    if (config.rngStart !== undefined) this.rng.setState(decodeRandomState(config.rngStart));
    const maxRows = Math.max(config.batchSize, MIN_EVAL_ROWS);
    const makeTrainee = (useBatchNorm: boolean): Trainee => {
      const net = new MultiLayerNet({
        inputSize: data.train.pixelsPerImage,
        hiddenSizes: config.hiddenSizes,
        outputSize: 10,
        activation: config.activation,
        weightScale: config.weightScale,
        useBatchNorm,
        weightDecay: config.weightDecay,
        dropout: config.dropout,
        maxRows,
        rng: this.rng,
      });
      return { net, optimizer: createOptimizer(config.optimizer, net.params(), config.learningRate) };
    };
    this.batchNorm = makeTrainee(true);
    this.plain = makeTrainee(false);
    this.trainees = [this.batchNorm, this.plain];
    this.pair = new NetworkPair(this.trainees.map((t) => t.net));
    this.batchIndices = new Int32Array(config.batchSize);
    this.batchLabels = new Int32Array(config.batchSize);
    this.batchX = new SparseRows(data.train.pixelsPerImage, config.batchSize);
  }

  /** Evaluations done so far. */
  get epochsDone(): number {
    return this.lists.plain.length;
  }

  /** True once `epochs` evaluations are in. */
  get done(): boolean {
    return this.epochsDone >= this.config.epochs;
  }

  /** Iterations the whole run takes: one per batch up to the last evaluation. */
  get totalIterations(): number {
    return (this.config.epochs - 1) * itersPerEpoch(this.config) + 1;
  }

  /** Runs at most `maxIterations` iterations; returns how many evaluations they finished. */
  advance(maxIterations: number): number {
    const before = this.epochsDone;
    for (let n = 0; n < maxIterations && !this.done; n++) this.step();
    return this.epochsDone - before;
  }

  /** Runs to the end and returns the lists. */
  run(): ExperimentResult {
    while (!this.done) this.step();
    return this.result();
  }

  /** One iteration: batch, both networks' gradients (in shared passes), BN update, plain update, and the evaluation when one is due. */
  step(): void {
    if (this.done) return;
    const { batchSize, trainSize } = this.config;
    this.rng.fillChoice(trainSize, this.batchIndices);
    gatherSparseRows(this.train, this.batchIndices, batchSize, this.batchX);
    for (let r = 0; r < batchSize; r++) this.batchLabels[r] = this.train.labels[this.batchIndices[r]];
    this.pair.gradients(this.batchX, this.batchLabels, batchSize);
    for (const { net, optimizer } of this.trainees) optimizer.update(net.params());
    if (this.iteration % itersPerEpoch(this.config) === 0) this.evaluate();
    this.iteration++;
  }

  /** The lists so far (complete once {@link done}); the test lists only when test images are measured. */
  accuracyLists(): AccuracyLists {
    const lists: AccuracyLists = { plain: [...this.lists.plain], batchNorm: [...this.lists.batchNorm] };
    if (this.config.testSize > 0) {
      lists.testPlain = [...this.lists.testPlain];
      lists.testBatchNorm = [...this.lists.testBatchNorm];
    }
    return lists;
  }

  /** The lists so far with the weight scale and seed they belong to. */
  result(): ExperimentResult {
    return { weightScale: this.config.weightScale, seed: this.config.seed, ...this.accuracyLists() };
  }

  private evaluate(): void {
    const { trainSize, testSize } = this.config;
    const [batchNorm, plain] = this.pair.accuracies(this.train, trainSize);
    this.lists.plain.push(plain);
    this.lists.batchNorm.push(batchNorm);
    if (testSize > 0) {
      const [testBatchNorm, testPlain] = this.pair.accuracies(this.test, testSize);
      this.lists.testPlain.push(testPlain);
      this.lists.testBatchNorm.push(testBatchNorm);
    }
  }
}

/**
 * Throws a RangeError when the config cannot run on `data`: the engine's own preconditions. The
 * API's limits are the sweep fields' rules (src/sweep/fields.ts).
 */
export function checkConfig(config: ExperimentConfig, data: MnistData): void {
  const count = (name: string, v: number, min: number, max = Number.POSITIVE_INFINITY) => {
    if (!Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `in [${min}, ${max}]`;
      throw new RangeError(`${name} must be an integer ${range}, got ${v}`);
    }
  };
  count("epochs", config.epochs, 1);
  count("trainSize", config.trainSize, 1, data.train.count);
  count("testSize", config.testSize, 0, data.test.count);
  count("batchSize", config.batchSize, 1, config.trainSize);
  config.hiddenSizes.forEach((h, i) => {
    count(`hiddenSizes[${i}]`, h, 1);
  });
  const finite = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isFinite(v) || v < lo || v > hi) throw new RangeError(`${name} must be a number in [${lo}, ${hi}], got ${v}`);
  };
  finite("learningRate", config.learningRate, 0, Number.MAX_VALUE);
  finite("weightDecay", config.weightDecay, 0, Number.MAX_VALUE);
  finite("dropout", config.dropout, 0, 0.99);
  if (typeof config.weightScale === "number") finite("weightScale", config.weightScale, 0, Number.MAX_VALUE);
}

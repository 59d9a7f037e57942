/** One experiment of a study: its networks trained side by side on the same batches. */

import { type Dataset, gatherSparseRows, type MnistData, withNonZeros } from "../data/dataset";
import { SparseRows } from "../nn/linalg/sparse-rows";
import { MultiLayerNet } from "../nn/multi-layer-net";
import { NetworkGroup } from "../nn/network-group";
import { createOptimizer } from "../nn/optimizers/create-optimizer";
import type { Optimizer } from "../nn/optimizers/optimizer";
import { NumpyRandom } from "../numpy/random-state";
import { decodeRandomState } from "../numpy/random-state-text";
import { type ExperimentConfig, networkRows } from "./config";
import {
  epochIterations,
  type StudyNetwork,
  studyIterations,
  studyMeasure,
  studyNetworks,
  studyPoints,
  trainingCount,
  validationCount,
} from "./study";

/**
 * An experiment's lists, one point per evaluation (per epoch) or per iteration. The Batch Norm
 * study fills `plain` and `batchNorm` (and the test lists when test images are measured); the
 * other studies leave those empty and fill theirs: `train` and `test` (§6.4), `train` and
 * `validation` (§6.5), `loss` per network (§6.1, §6.2).
 */
export interface AccuracyLists {
  plain: number[];
  batchNorm: number[];
  testPlain?: number[];
  testBatchNorm?: number[];
  train?: number[];
  test?: number[];
  validation?: number[];
  loss?: Record<string, number[]>;
}

/** An experiment's lists with what tells it apart in a sweep. */
export interface ExperimentResult extends AccuracyLists {
  weightScale: ExperimentConfig["weightScale"];
  seed: number;
}

/** Per network, in study order: accuracy on the training and the test (or validation) images at each evaluation, loss per iteration. */
export interface NetworkLists {
  train: number[][];
  test: number[][];
  loss: number[][];
}

/** One network, its optimizer and its place in the study. */
export interface Trainee {
  spec: StudyNetwork;
  net: MultiLayerNet;
  optimizer: Optimizer;
}

/**
 * The reference's loop as a state machine: iteration i draws a batch and steps every network in
 * the study's order; an accuracy study evaluates them all when i % itersPerEpoch == 0, a loss
 * study takes each one's loss on the batch after its update. {@link advance} runs a bounded slice,
 * so a caller can checkpoint between slices.
 */
export class Experiment {
  readonly config: Readonly<ExperimentConfig>;
  readonly rng: NumpyRandom;
  /** The study's networks, in the order the reference builds and steps them (and draws their dropout masks). */
  readonly trainees: readonly Trainee[];
  /** Iterations done so far. */
  iteration = 0;
  readonly lists: NetworkLists;
  private readonly train: Dataset;
  private readonly test: Dataset;
  private readonly batchIndices: Int32Array;
  private readonly batchLabels: Int32Array;
  private readonly batchX: SparseRows;
  private readonly group: NetworkGroup;
  private readonly optimizers: readonly Optimizer[];
  private readonly points: number;
  /** Images a batch is drawn from, and iterations between evaluations: fixed by the config, read every step. */
  private readonly trainingImages: number;
  private readonly epochIterations: number;
  private readonly measuresLoss: boolean;
  private readonly losses: number[];
  /** §6.5's shuffled images (shuffle_dataset): the first for validation, the rest to train on; undefined elsewhere. */
  private readonly shuffled: { training: Int32Array; validation: Int32Array } | undefined;

  constructor(config: ExperimentConfig, data: MnistData) {
    checkConfig(config, data);
    this.config = config;
    this.train = withNonZeros(data.train, config.trainSize);
    this.test = data.test;
    this.rng = new NumpyRandom(config.seed);
    if (config.study === "randomSearch") {
      // The script's first draw, before any trial: shuffle_dataset's permutation of its images.
      const order = this.rng.permutation(config.trainSize);
      const kept = validationCount(config);
      this.shuffled = { training: order.subarray(kept), validation: order.subarray(0, kept) };
    }
    if (config.rngStart !== undefined) this.rng.setState(decodeRandomState(config.rngStart));
    const maxRows = networkRows(config);
    this.trainees = studyNetworks(config).map((spec) => {
      const net = new MultiLayerNet({
        inputSize: data.train.pixelsPerImage,
        hiddenSizes: config.hiddenSizes,
        outputSize: 10,
        activation: config.activation,
        weightScale: spec.weightScale,
        useBatchNorm: spec.useBatchNorm,
        weightDecay: config.weightDecay,
        dropout: config.dropout,
        maxRows,
        rng: this.rng,
      });
      return { spec, net, optimizer: createOptimizer(spec.optimizer, net.params(), spec.learningRate) };
    });
    this.group = new NetworkGroup(this.trainees.map((t) => t.net));
    this.optimizers = this.trainees.map((t) => t.optimizer);
    this.lists = { train: this.trainees.map(() => []), test: this.trainees.map(() => []), loss: this.trainees.map(() => []) };
    this.points = studyPoints(config);
    this.trainingImages = trainingCount(config);
    this.epochIterations = epochIterations(config);
    this.measuresLoss = studyMeasure(config.study) === "loss";
    this.losses = this.trainees.map(() => 0);
    this.batchIndices = new Int32Array(config.batchSize);
    this.batchLabels = new Int32Array(config.batchSize);
    this.batchX = new SparseRows(data.train.pixelsPerImage, config.batchSize);
  }

  /** Points each list holds so far: evaluations, or iterations of a loss study. */
  get epochsDone(): number {
    return (this.measuresLoss ? this.lists.loss : this.lists.train)[0].length;
  }

  /** True once every point is in. */
  get done(): boolean {
    return this.epochsDone >= this.points;
  }

  /** Iterations the whole run takes: one per batch up to the last evaluation, or `iterations`. */
  get totalIterations(): number {
    return studyIterations(this.config);
  }

  /**
   * Runs at most `maxIterations` iterations, stopping once `until` points are in (a rung of
   * successive halving: the run goes on from there exactly as if it had not stopped); returns how
   * many points they finished.
   */
  advance(maxIterations: number, until = this.points): number {
    const before = this.epochsDone;
    for (let n = 0; n < maxIterations && !this.done && this.epochsDone < until; n++) this.step();
    return this.epochsDone - before;
  }

  /** Runs to the end and returns the lists. */
  run(): ExperimentResult {
    while (!this.done) this.step();
    return this.result();
  }

  /** One iteration: batch, every network's gradients (in shared passes), their updates in order, then the losses or the evaluation when one is due. */
  step(): void {
    if (this.done) return;
    const { batchSize } = this.config;
    this.rng.fillChoice(this.trainingImages, this.batchIndices);
    if (this.shuffled) for (let r = 0; r < batchSize; r++) this.batchIndices[r] = this.shuffled.training[this.batchIndices[r]];
    gatherSparseRows(this.train, this.batchIndices, batchSize, this.batchX);
    for (let r = 0; r < batchSize; r++) this.batchLabels[r] = this.train.labels[this.batchIndices[r]];
    this.group.gradients(this.batchX, this.batchLabels, batchSize);
    this.group.update(this.optimizers);
    if (this.measuresLoss) {
      this.group.losses(this.batchX, this.batchLabels, batchSize, this.losses);
      for (let s = 0; s < this.losses.length; s++) this.lists.loss[s].push(this.losses[s]);
    } else if (this.iteration % this.epochIterations === 0) {
      this.evaluate();
    }
    this.iteration++;
  }

  /** The lists so far, as the study names them (complete once {@link done}). */
  accuracyLists(): AccuracyLists {
    const { train, test, loss } = this.lists;
    const measured = this.config.testSize > 0;
    switch (this.config.study) {
      case "batchNorm": {
        const lists: AccuracyLists = { plain: [...train[1]], batchNorm: [...train[0]] };
        if (measured) {
          lists.testPlain = [...test[1]];
          lists.testBatchNorm = [...test[0]];
        }
        return lists;
      }
      case "weightDecay":
      case "dropout":
        return { plain: [], batchNorm: [], train: [...train[0]], ...(measured ? { test: [...test[0]] } : {}) };
      case "randomSearch":
        return { plain: [], batchNorm: [], train: [...train[0]], validation: [...test[0]] };
      case "optimizers":
      case "weightInit":
        return { plain: [], batchNorm: [], loss: Object.fromEntries(this.trainees.map((t, s) => [t.spec.name, [...loss[s]]])) };
    }
  }

  /** The lists so far with the weight scale and seed they belong to. */
  result(): ExperimentResult {
    return { weightScale: this.config.weightScale, seed: this.config.seed, ...this.accuracyLists() };
  }

  private evaluate(): void {
    const { trainSize, testSize } = this.config;
    if (this.shuffled) {
      const { training, validation } = this.shuffled;
      this.group.accuracies(this.train, training.length, training).forEach((a, s) => {
        this.lists.train[s].push(a);
      });
      this.group.accuracies(this.train, validation.length, validation).forEach((a, s) => {
        this.lists.test[s].push(a);
      });
      return;
    }
    this.group.accuracies(this.train, trainSize).forEach((a, s) => {
      this.lists.train[s].push(a);
    });
    if (testSize > 0) {
      this.group.accuracies(this.test, testSize).forEach((a, s) => {
        this.lists.test[s].push(a);
      });
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
  count("iterations", config.iterations, 1);
  count("trainSize", config.trainSize, 1, data.train.count);
  count("testSize", config.testSize, 0, data.test.count);
  count("batchSize", config.batchSize, 1, trainingCount(config));
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

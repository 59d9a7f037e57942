/** What one experiment is: a weight scale, a seed and the training settings (the book's defaults). */

import type { Activation, WeightScale } from "../nn/multi-layer-net";
import type { OptimizerKind } from "../nn/optimizers/optimizer";
import { logspace } from "../numpy/logspace";
import type { Study } from "./study";

/** Everything that decides an experiment's accuracy lists. */
export interface ExperimentConfig {
  /** Which of chapter 6's studies (src/experiment/study.ts); the networks and what they record follow from it. */
  study: Study;
  weightScale: WeightScale;
  seed: number;
  epochs: number;
  /** Steps of a study that records the loss per iteration (§6.1, §6.2). */
  iterations: number;
  learningRate: number;
  batchSize: number;
  trainSize: number;
  /** Test images measured at each evaluation; 0 measures none. */
  testSize: number;
  hiddenSizes: number[];
  activation: Activation;
  optimizer: OptimizerKind;
  weightDecay: number;
  dropout: number;
  /**
   * Where the random stream starts (encodeRandomState), instead of seeding it with `seed`: the
   * experiment's place in a script seeded once at its top (src/experiment/book-stream.ts).
   */
  rngStart?: string;
}

/** The book's settings for everything but the weight scale and the seed. */
export const EXPERIMENT_DEFAULTS: Omit<ExperimentConfig, "weightScale" | "seed"> = {
  study: "batchNorm",
  epochs: 20,
  iterations: 2000,
  learningRate: 0.01,
  batchSize: 100,
  trainSize: 1000,
  testSize: 0,
  hiddenSizes: [100, 100, 100, 100, 100],
  activation: "relu",
  optimizer: "sgd",
  weightDecay: 0,
  dropout: 0,
};

/** The study's weight scales as a range of powers of ten: logspace(0, -4, 16). */
export const BOOK_SCALE_RANGE = { from: 0, to: -4, count: 16 } as const;

/** The study's 16 weight scales, logspace(0, -4, 16). */
export const BOOK_WEIGHT_SCALES: readonly number[] = logspace(BOOK_SCALE_RANGE.from, BOOK_SCALE_RANGE.to, BOOK_SCALE_RANGE.count);

/** Iterations between evaluations: trainSize / batchSize rounded up, at least 1. */
export function itersPerEpoch(config: Pick<ExperimentConfig, "trainSize" | "batchSize">): number {
  return Math.max(Math.ceil(config.trainSize / config.batchSize), 1);
}

/** Smallest evaluation chunk, so that a tiny batch size does not make evaluation crawl. */
const MIN_EVAL_ROWS = 100;

/** Rows every network buffer holds: a batch, or an evaluation chunk of at least MIN_EVAL_ROWS. */
export function networkRows(config: Pick<ExperimentConfig, "batchSize">): number {
  return Math.max(config.batchSize, MIN_EVAL_ROWS);
}

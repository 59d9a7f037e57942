/**
 * The studies of the book's chapter 6 an experiment can be: which networks it trains side by side
 * on one batch stream, and what it records. Each network is built from the experiment's stream in
 * the order listed here, the order of the book's script.
 */

import type { WeightScale } from "../nn/multi-layer-net";
import type { OptimizerKind } from "../nn/optimizers/optimizer";
import { type ExperimentConfig, itersPerEpoch } from "./config";

/** §6.3 (today's default), §6.1, §6.2, §6.4 twice, §6.5. */
export const STUDIES = ["batchNorm", "optimizers", "weightInit", "weightDecay", "dropout", "randomSearch"] as const;
/** One of {@link STUDIES}. */
export type Study = (typeof STUDIES)[number];

/** One network of a study: its name in the result, and what sets it apart from the others. */
export interface StudyNetwork {
  name: string;
  useBatchNorm: boolean;
  weightScale: WeightScale;
  optimizer: OptimizerKind;
  learningRate: number;
}

/**
 * What a study records: the accuracy of its networks at each evaluation (`i % itersPerEpoch == 0`,
 * `epochs` of them), or the loss of each network on the batch after its update (one per iteration,
 * `iterations` of them).
 */
export type StudyMeasure = "accuracy" | "loss";

/** The learning rates `common/optimizer.py` gives each optimizer by default (§6.1 uses them all). */
const BOOK_LEARNING_RATES: Record<OptimizerKind, number> = { sgd: 0.01, momentum: 0.01, adagrad: 0.01, adam: 0.001 };

/** The networks of an experiment of `config`, in the order its script builds and steps them. */
export function studyNetworks(
  config: Pick<ExperimentConfig, "study" | "weightScale" | "optimizer" | "learningRate">,
): StudyNetwork[] {
  const { weightScale, optimizer, learningRate } = config;
  const net = (name: string, overrides: Partial<StudyNetwork> = {}): StudyNetwork => ({
    name,
    useBatchNorm: false,
    weightScale,
    optimizer,
    learningRate,
    ...overrides,
  });
  switch (config.study) {
    case "batchNorm":
      return [net("batchNorm", { useBatchNorm: true }), net("plain")];
    case "optimizers":
      return (["sgd", "momentum", "adagrad", "adam"] as const).map((kind) =>
        net(kind, { weightScale: "he", optimizer: kind, learningRate: BOOK_LEARNING_RATES[kind] }),
      );
    case "weightInit":
      return [
        net("std0.01", { weightScale: 0.01, optimizer: "sgd" }),
        net("xavier", { weightScale: "xavier", optimizer: "sgd" }),
        net("he", { weightScale: "he", optimizer: "sgd" }),
      ];
    case "weightDecay":
    case "dropout":
    case "randomSearch":
      return [net("net", { weightScale: "he" })];
  }
}

/** How many networks an experiment of `study` trains. */
export function studyNetworkCount(study: Study): number {
  return studyNetworks({ study, weightScale: 1, optimizer: "sgd", learningRate: 1 }).length;
}

/** What an experiment of `study` records. */
export function studyMeasure(study: Study): StudyMeasure {
  return study === "optimizers" || study === "weightInit" ? "loss" : "accuracy";
}

type Counted = Pick<ExperimentConfig, "study" | "epochs" | "iterations" | "trainSize" | "batchSize" | "testSize">;

/** §6.5 keeps this share of its images for validation: `x_train.shape[0] * 0.20`, made an integer. */
export const VALIDATION_RATE = 0.2;

/** Images an experiment keeps for validation: a fifth of its training images in §6.5, else none. */
export function validationCount(config: Pick<ExperimentConfig, "study" | "trainSize">): number {
  return config.study === "randomSearch" ? Math.floor(config.trainSize * VALIDATION_RATE) : 0;
}

/** Images an experiment trains on: its training images less those kept for validation. */
export function trainingCount(config: Pick<ExperimentConfig, "study" | "trainSize">): number {
  return config.trainSize - validationCount(config);
}

/** Studies run by the book's `common/trainer.py`: `int(epochs × iter_per_epoch)` steps, evaluations as the loop's. */
function usesTrainer(study: Study): boolean {
  return study === "dropout" || study === "randomSearch";
}

/** Iterations per epoch of an experiment: its training images over the batch size, rounded up, at least 1. */
export function epochIterations(config: Counted): number {
  return itersPerEpoch({ trainSize: trainingCount(config), batchSize: config.batchSize });
}

/** Iterations an experiment runs for its lists: one per batch up to its last evaluation, or `iterations`. */
export function studyIterations(config: Counted): number {
  return studyMeasure(config.study) === "loss" ? config.iterations : (config.epochs - 1) * epochIterations(config) + 1;
}

/**
 * Iterations the script runs, each drawing a batch: those of {@link studyIterations}, and in
 * Trainer's loop the steps after the last evaluation too. The next experiment of a script seeded
 * once starts after them.
 */
export function scriptIterations(config: Counted): number {
  return usesTrainer(config.study) ? config.epochs * epochIterations(config) : studyIterations(config);
}

/** Evaluations an experiment makes (a loss study makes none: its losses come with its steps). */
export function studyEvaluations(config: Counted): number {
  return studyMeasure(config.study) === "loss" ? 0 : config.epochs;
}

/** How many lists an experiment's result holds (train and test per network, or a loss per network). */
export function studyListCount(config: Counted): number {
  const networks = studyNetworkCount(config.study);
  const evaluated = config.study === "randomSearch" ? 2 : config.testSize > 0 ? 2 : 1;
  return studyMeasure(config.study) === "loss" ? networks : networks * evaluated;
}

/** Points each of an experiment's lists holds when it is done: evaluations, or iterations. */
export function studyPoints(config: Pick<ExperimentConfig, "study" | "epochs" | "iterations">): number {
  return studyMeasure(config.study) === "loss" ? config.iterations : config.epochs;
}

const BOOK_HIDDEN_4 = [100, 100, 100, 100];
const BOOK_HIDDEN_6 = [100, 100, 100, 100, 100, 100];

/** Each study's settings as its script has them, over EXPERIMENT_DEFAULTS (the Batch Norm study's). */
export const STUDY_DEFAULTS: Record<Study, Partial<ExperimentConfig>> = {
  batchNorm: {},
  optimizers: { trainSize: 60000, batchSize: 128, iterations: 2000, hiddenSizes: BOOK_HIDDEN_4 },
  weightInit: { trainSize: 60000, batchSize: 128, iterations: 2000, hiddenSizes: BOOK_HIDDEN_4, learningRate: 0.01 },
  weightDecay: { trainSize: 300, testSize: 10000, epochs: 201, hiddenSizes: BOOK_HIDDEN_6, weightDecay: 0.1 },
  dropout: { trainSize: 300, testSize: 10000, epochs: 301, hiddenSizes: BOOK_HIDDEN_6, dropout: 0.2 },
  randomSearch: { trainSize: 500, testSize: 0, epochs: 50, hiddenSizes: BOOK_HIDDEN_6 },
};

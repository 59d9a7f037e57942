/**
 * What an experiment costs, estimated from its config before it runs: work in multiply-adds (per
 * iteration, at worst in one iteration, in all) and peak memory in bytes, counted from the buffers
 * the engine allocates. Callers size slices and refuse what a platform cannot run with these.
 */

import { NON_ZERO_IMAGES_MAX } from "../data/dataset";
import { IMAGES_PER_CHUNK, LABEL_FILES_BYTES, LOAD_WINDOW_CHUNKS } from "../data/manifest";
import { type ExperimentConfig, networkRows } from "./config";
import { epochIterations, studyEvaluations, studyIterations, studyMeasure, studyNetworkCount, studyNetworks } from "./study";

const INPUT_SIZE = 784;
const CLASSES = 10;
const DOUBLE = 8;
/**
 * Memory an engine needs before any experiment: the products' scratch (about 10 MB with the kept region,
 * nn/linalg/packed-kernel.ts) and the code and heap of the runtime around it.
 */
export const BASELINE_BYTES = 18 * 1024 * 1024;

/** Multiply-adds of one forward pass of one row through the affine layers: also the count of weights. */
export function rowForwardWork(hiddenSizes: readonly number[]): number {
  const sizes = [INPUT_SIZE, ...hiddenSizes, CLASSES];
  let work = 0;
  for (let l = 0; l < sizes.length - 1; l++) work += sizes[l] * sizes[l + 1];
  return work;
}

/** Work of one training step of every network, forward and backward (3×), and a loss study's losses after it. */
function stepWork(config: ExperimentConfig): number {
  const networks = studyNetworkCount(config.study);
  const passes = studyMeasure(config.study) === "loss" ? 4 : 3;
  return networks * passes * config.batchSize * rowForwardWork(config.hiddenSizes);
}

/** Work of one evaluation of every network on the training and test images (none in a loss study). */
function evaluationWork(config: ExperimentConfig): number {
  if (studyEvaluations(config) === 0) return 0;
  return studyNetworkCount(config.study) * (config.trainSize + config.testSize) * rowForwardWork(config.hiddenSizes);
}

/** Work of one iteration, amortizing the evaluations. */
export function iterationWork(config: ExperimentConfig): number {
  return stepWork(config) + evaluationWork(config) / epochIterations(config);
}

/** Work of the costliest single iteration: a step and a whole evaluation. */
export function peakIterationWork(config: ExperimentConfig): number {
  return stepWork(config) + evaluationWork(config);
}

/** Work of the whole experiment: every step and every evaluation. */
export function totalWork(config: ExperimentConfig): number {
  return studyIterations(config) * stepWork(config) + studyEvaluations(config) * evaluationWork(config);
}

/** Where an experiment's peak memory goes, in bytes. */
export interface MemoryEstimate {
  /** Weights, biases, BN parameters and running statistics of both networks, with their gradients. */
  parameters: number;
  /** Optimizer state of both networks. */
  optimizer: number;
  /** Activations and their gradients for the largest chunk of rows, both networks. */
  activations: number;
  /** Input rows as their non-zero pixels: the batch's, each network's evaluation chunk (and one dense copy), the kept training images'. */
  input: number;
  /** The images and labels kept as bytes (one copy per isolate, shared by its runners). */
  dataset: number;
  /** What loading them holds besides: the chunks in flight and both label files fetched whole. */
  datasetLoad: number;
  /** A checkpoint while it is written or read: its pieces (the whole is never held twice). */
  checkpoint: number;
  /** The runtime and the engine's scratch. */
  baseline: number;
  total: number;
}

const OPTIMIZER_COPIES = { sgd: 0, momentum: 1, adagrad: 1, adam: 2 } as const;

/** Peak memory of an experiment, counted from the buffers the engine allocates for its config. */
export function memoryEstimate(config: ExperimentConfig): MemoryEstimate {
  const rows = networkRows(config);
  const sizes = [INPUT_SIZE, ...config.hiddenSizes, CLASSES];
  let weights = 0;
  let affineRows = 0;
  for (let l = 0; l < sizes.length - 1; l++) {
    weights += sizes[l] * sizes[l + 1] + sizes[l + 1];
    // The output, and the input gradient of every layer but the first.
    affineRows += sizes[l + 1] + (l > 0 ? sizes[l] : 0);
  }
  const hidden = config.hiddenSizes.reduce((s, h) => s + h, 0);
  const dropoutRows = config.dropout > 0 ? 3 * hidden : 0;
  // Per network: affine rows, activation out and dx, softmax y and dx; BN adds xc, xn, out, dx.
  const plainRows = affineRows + 2 * hidden + dropoutRows + 2 * CLASSES;
  const bnRows = plainRows + 4 * hidden;
  const bnVectors = 10 * hidden;
  const networks = studyNetworks(config);
  const bnNetworks = networks.filter((n) => n.useBatchNorm).length;
  const parameters = DOUBLE * (2 * networks.length * weights + bnNetworks * bnVectors);
  const optimizer =
    DOUBLE * networks.reduce((sum, n) => sum + OPTIMIZER_COPIES[n.optimizer] * (weights + (n.useBatchNorm ? 2 * hidden : 0)), 0);
  const activations = DOUBLE * rows * networks.reduce((sum, n) => sum + (n.useBatchNorm ? bnRows : plainRows), 0);
  // The batch and the pair's evaluation chunk as non-zeros (column and value), and one dense copy;
  // and the training images' non-zero pixels where the experiment keeps them (at worst all 784).
  const keptImages = config.trainSize <= NON_ZERO_IMAGES_MAX ? config.trainSize : 0;
  const input = rows * INPUT_SIZE * (2 * (4 + DOUBLE) + DOUBLE) + keptImages * (INPUT_SIZE * 3 + 4) + 4;
  const dataset = (config.trainSize + config.testSize) * (INPUT_SIZE + 1);
  const datasetLoad = LOAD_WINDOW_CHUNKS * IMAGES_PER_CHUNK * INPUT_SIZE + LABEL_FILES_BYTES;
  const checkpoint = parameters / 2 + optimizer;
  const baseline = BASELINE_BYTES;
  const total = parameters + optimizer + activations + input + dataset + datasetLoad + checkpoint + baseline;
  return { parameters, optimizer, activations, input, dataset, datasetLoad, checkpoint, baseline, total };
}

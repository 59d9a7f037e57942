/** Work of an experiment in multiply-adds, to size the slices a Durable Object runs per alarm. */

import { type ExperimentConfig, itersPerEpoch } from "./experiment-config";

const INPUT_SIZE = 784;
const CLASSES = 10;

/** Multiply-adds of one forward pass of one row through the affine layers. */
function rowForwardWork(hiddenSizes: readonly number[]): number {
  const sizes = [INPUT_SIZE, ...hiddenSizes, CLASSES];
  let work = 0;
  for (let l = 0; l < sizes.length - 1; l++) work += sizes[l] * sizes[l + 1];
  return work;
}

/** Work of one iteration, amortizing the evaluations: both networks, forward and backward (3×). */
export function iterationWork(config: ExperimentConfig): number {
  const row = rowForwardWork(config.hiddenSizes);
  const train = 2 * 3 * config.batchSize * row;
  const evaluation = (2 * (config.trainSize + config.testSize) * row) / itersPerEpoch(config);
  return train + evaluation;
}

/** Iterations per slice so that a slice does about `budget` multiply-adds (at least one). */
export function sliceIterations(config: ExperimentConfig, budget: number): number {
  return Math.max(1, Math.floor(budget / iterationWork(config)));
}

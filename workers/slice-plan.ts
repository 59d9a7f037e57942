/** How a runner cuts an experiment to fit Durable Objects: iterations per alarm slice, checkpoint piece size. */

import { type ExperimentConfig, iterationWork } from "../src/experiment";

/** Largest checkpoint piece: well under the 2 MB limit of a Durable Object storage value. */
export const CHECKPOINT_PIECE_BYTES = 1 << 20;

/** Iterations per slice so that a slice does about `budget` multiply-adds (at least one). */
export function sliceIterations(config: ExperimentConfig, budget: number): number {
  return Math.max(1, Math.floor(budget / iterationWork(config)));
}

/**
 * A sweep's experiments as runners get them, planned without training. With `seeding: "book"`
 * repeat r is the book's script seeded with seed + r at its top, its experiments in the script's
 * order (every weight scale of the first combination or trial, then of the next): each experiment's
 * start in that one stream is computed here by stepping past the draws of those before it, so the
 * experiments still run in parallel. A search draws each trial's values from that stream as the
 * trial begins (§6.5 after its shuffle); with the default seeding, from a stream of its own seeded
 * seed + r, one trial after the other.
 */

import { skipExperimentDraws } from "../experiment/book-stream";
import { NumpyRandom } from "../numpy/random-state";
import { encodeRandomState } from "../numpy/random-state-text";
import { effectiveSearch, type SweepConfig, type SweepExperiment, sweepExperiments } from "./config";
import { drawTrial } from "./search";

/** The sweep's experiments with their drawn trial values and, seeded the book's way, their start in the stream. */
export function runnerExperiments(config: SweepConfig): SweepExperiment[] {
  const experiments = sweepExperiments(config);
  const search = effectiveSearch(config);
  const book = config.seeding === "book";
  if (!book && !search) return experiments;
  const planned = [...experiments];
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    const rng = new NumpyRandom((config.seed + repeat) >>> 0);
    // hyperparameter_optimization.py's shuffle_dataset, before its first trial (the engine redraws it).
    if (config.study === "randomSearch") rng.permutation(config.trainSize);
    let trial = -1;
    let values = {};
    for (const e of experiments) {
      if (e.repeat !== repeat) continue;
      if (search && e.combination !== trial) {
        trial = e.combination;
        values = drawTrial(rng, search.space);
      }
      const next = { ...e.config, ...values };
      if (book) {
        next.rngStart = encodeRandomState(rng.getState());
        skipExperimentDraws(rng, next);
      }
      planned[e.index] = { ...e, config: next };
    }
  }
  return planned;
}

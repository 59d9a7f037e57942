/**
 * `seeding: "book"`: repeat r of a sweep is the book's script seeded with seed + r at its top, its
 * experiments in the script's order (every weight scale of the first grid combination, then of the
 * next). Each experiment's start in that one stream is computed here, without training, so that
 * the experiments still run in parallel.
 */

import { bookStarts } from "../experiment/book-stream";
import { type SweepConfig, type SweepExperiment, sweepExperiments } from "./config";

/** The sweep's experiments as runners get them: with their start in the stream when seeded the book's way. */
export function runnerExperiments(config: SweepConfig): SweepExperiment[] {
  const experiments = sweepExperiments(config);
  if (config.seeding !== "book") return experiments; // every study but batchNorm is parsed as "book"
  const planned = [...experiments];
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    const mine = experiments.filter((e) => e.repeat === repeat);
    const starts = bookStarts(
      (config.seed + repeat) >>> 0,
      mine.map((e) => e.config),
    );
    mine.forEach((e, i) => {
      planned[e.index] = { ...e, config: { ...e.config, rngStart: starts[i] } };
    });
  }
  return planned;
}

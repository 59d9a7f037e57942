/** A finished sweep's view with made-up lists, for the tests of what is drawn and served from one. */

import { gridCombinationAt, type SweepConfig, sweepExperiments } from "../../src/sweep/config";
import type { AccuracyLists, SweepView } from "../../src/sweep/view";

/** Every experiment of `config` completed, its lists given by `lists`. */
export function finishedView(config: SweepConfig, lists: () => AccuracyLists, id = "a".repeat(32)): SweepView {
  return {
    id,
    status: "completed",
    config,
    createdAt: "2026-11-28T00:00:00.000Z",
    experiments: sweepExperiments(config).map((e) => {
      const { plain, batchNorm } = lists();
      return {
        index: e.index,
        weightScale: e.config.weightScale as number,
        seed: e.config.seed,
        repeat: e.repeat,
        combination: e.combination,
        grid: gridCombinationAt(config.grid, e.combination),
        status: "completed",
        epochsDone: plain.length,
        plain,
        batchNorm,
      };
    }),
  };
}

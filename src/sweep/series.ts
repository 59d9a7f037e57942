/** Groups a sweep's experiments by weight scale and reduces repeats to mean, min and max per epoch. */

import { type ExperimentView, experimentsAt, type SweepView } from "./view";

/** Mean and band of one curve over the repeats of a scale. */
export interface Band {
  mean: number[];
  min: number[];
  max: number[];
}

/** One panel of the figure: a weight scale and its curves. */
export interface Panel {
  weightScale: number;
  repeats: number;
  batchNorm: Band;
  plain: Band;
  testBatchNorm?: Band;
  testPlain?: Band;
}

/** Mean, min and max per epoch over the lists given, up to the shortest list's length. */
export function band(lists: readonly number[][]): Band {
  const length = lists.length === 0 ? 0 : Math.min(...lists.map((l) => l.length));
  const out: Band = { mean: [], min: [], max: [] };
  for (let i = 0; i < length; i++) {
    const values = lists.map((l) => l[i]);
    out.mean.push(values.reduce((s, v) => s + v, 0) / values.length);
    out.min.push(Math.min(...values));
    out.max.push(Math.max(...values));
  }
  return out;
}

/** Panels of one grid combination (0 without a grid), in the order of the sweep's weight scales. */
export function panels(view: SweepView, combination = 0): Panel[] {
  return view.config.weightScales.map((weightScale, s) => {
    const runs = experimentsAt(view, combination, s);
    const pick = (f: (e: ExperimentView) => number[] | undefined) => runs.flatMap((e) => (f(e) ? [f(e) as number[]] : []));
    const panel: Panel = {
      weightScale,
      repeats: runs.length,
      batchNorm: band(pick((e) => e.batchNorm)),
      plain: band(pick((e) => e.plain)),
    };
    if (view.config.testSize > 0) {
      panel.testBatchNorm = band(pick((e) => e.testBatchNorm));
      panel.testPlain = band(pick((e) => e.testPlain));
    }
    return panel;
  });
}

/** A sweep's accuracy lists as CSV: one row per experiment × network × split × epoch. */

import type { SweepView } from "./view";

/** Header of {@link resultsCsv}. */
export const CSV_HEADER = "experiment,weight_scale,seed,repeat,network,split,epoch,accuracy";

/** The CSV a line at a time (each ending in a newline), header first, so a large sweep can be streamed. */
export function* resultsCsvLines(view: SweepView): Generator<string> {
  yield `${CSV_HEADER}\n`;
  for (const e of view.experiments) {
    const series: [string, string, number[] | undefined][] = [
      ["batchnorm", "train", e.batchNorm],
      ["plain", "train", e.plain],
      ["batchnorm", "test", e.testBatchNorm],
      ["plain", "test", e.testPlain],
    ];
    for (const [network, split, values] of series) {
      if (!values) continue;
      for (let epoch = 0; epoch < values.length; epoch++) {
        yield `${e.index},${e.weightScale},${e.seed},${e.repeat},${network},${split},${epoch},${values[epoch]}\n`;
      }
    }
  }
}

/** The whole CSV text. */
export function resultsCsv(view: SweepView): string {
  return Array.from(resultsCsvLines(view)).join("");
}

/** A sweep's accuracy lists as CSV: one row per experiment × network × split × epoch. */

import type { SweepView } from "../sweep-view";

/** Header of {@link resultsCsv}. */
export const CSV_HEADER = "experiment,weight_scale,seed,repeat,network,split,epoch,accuracy";

/** The CSV text, header first, rows in experiment, network, split and epoch order. */
export function resultsCsv(view: SweepView): string {
  const lines = [CSV_HEADER];
  for (const e of view.experiments) {
    const series: [string, string, number[] | undefined][] = [
      ["batchnorm", "train", e.batchNorm],
      ["plain", "train", e.plain],
      ["batchnorm", "test", e.testBatchNorm],
      ["plain", "test", e.testPlain],
    ];
    for (const [network, split, values] of series) {
      values?.forEach((v, epoch) => {
        lines.push(`${e.index},${e.weightScale},${e.seed},${e.repeat},${network},${split},${epoch},${v}`);
      });
    }
  }
  return `${lines.join("\n")}\n`;
}

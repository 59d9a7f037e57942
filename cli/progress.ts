/** Shows a sweep's progress: bars redrawn in place on a terminal, plain lines in a log. */

import { studyMeasure, studyPoints } from "../src/experiment/study";
import { combinationTitle, type ExperimentView, type SweepView, scaleTitle, statusText } from "../src/sweep";
import { printable } from "./server-text";

const BAR_WIDTH = 24;

function bar(done: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * BAR_WIDTH);
  return `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
}

/** An experiment's weight scale, with its grid values when the sweep has a grid. */
function experimentTitle(e: ExperimentView, view: SweepView): string {
  const grid = e.grid && Object.keys(e.grid).length > 0 ? ` [${combinationTitle(e.grid)}]` : "";
  return `${scaleTitle(e.weightScale, view.config.study)}${grid}`;
}

/** What an experiment's points are: epochs, or iterations of a loss study. */
function unit(view: SweepView): string {
  return studyMeasure(view.config.study) === "loss" ? "iterations" : "epochs";
}

/** The latest value of each of an experiment's lists, as a progress line ends. */
function latest(e: ExperimentView): string {
  const last = (list: number[] | undefined) => (list && list.length > 0 ? (list.at(-1) as number).toFixed(3) : undefined);
  if (e.batchNorm && e.batchNorm.length > 0) return `  BN ${last(e.batchNorm)} plain ${last(e.plain)}`;
  if (e.train && e.train.length > 0) return `  train ${last(e.train)}${e.test ? ` test ${last(e.test)}` : ""}`;
  const losses = Object.entries(e.loss ?? {}).filter(([, l]) => l.length > 0);
  return losses.length > 0 ? `  loss ${losses.map(([name, l]) => `${name} ${last(l)}`).join(" ")}` : "";
}

/** One line per experiment: index, scale (and grid values), bar, epochs and status. */
export function progressLines(view: SweepView): string[] {
  const points = studyPoints(view.config);
  const head = `sweep ${view.id}  ${view.status}  seed ${view.config.seed}  ${view.experiments.length} experiments × ${points} ${unit(view)}`;
  return [
    head,
    ...view.experiments.map((e) => {
      const label = `${String(e.index).padStart(3)} ${experimentTitle(e, view).padEnd(13)}${view.config.repeats > 1 ? ` r${e.repeat}` : ""}`;
      return `${label} ${bar(e.epochsDone, points)} ${String(e.epochsDone).padStart(4)}/${points} ${statusText(e)}${latest(e)}${e.error ? `  ${e.error}` : ""}`;
    }),
  ].map(printable); // every line holds the server's text: printed without its control characters
}

/** Writes progress to a stream: redrawn in place when it is a terminal, else a line per change. */
export class ProgressView {
  private drawn = 0;
  private readonly seen = new Map<number, string>();

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(view: SweepView): void {
    if (this.out.isTTY) {
      const lines = progressLines(view);
      const width = this.out.columns || 120;
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
      this.out.write(`${up}${lines.map((l) => `\x1b[2K${l.slice(0, width - 1)}`).join("\n")}\n`);
      this.drawn = lines.length;
      return;
    }
    for (const e of view.experiments) {
      const state = `${e.status} ${e.epochsDone}`;
      if (this.seen.get(e.index) === state) continue;
      this.seen.set(e.index, state);
      this.out.write(
        printable(
          `experiment ${e.index} (${experimentTitle(e, view)}): ${e.epochsDone}/${studyPoints(view.config)} ${unit(view)}, ${statusText(e)}${e.error ? `: ${e.error}` : ""}\n`,
        ),
      );
    }
  }
}

/**
 * Runs one experiment in Node (a weight scale of the Batch Norm study, or one of chapter 6's other
 * studies with --study) and prints its lists.
 * Usage: npm run -s experiment -- [--study S] [--scale X | --scale-index I] [--seed S] [--epochs N] … [--json]
 */

import { parseArgs } from "node:util";
import { intFlag, UsageError } from "../cli/args";
import { fieldOptions, fieldUsage, flagError, requestFromFlags } from "../cli/field-flags";
import { BOOK_WEIGHT_SCALES, Experiment, type ExperimentConfig, randomSeed } from "../src/experiment";
import { type FieldName, parseSweepConfig, SweepConfigError } from "../src/sweep";
import { runnerExperiments } from "../src/sweep/plan";
import { loadMnist } from "./load-mnist";

/** The request fields an experiment takes: all but the sweep's scales and repeats. */
const FIELDS: FieldName[] = [
  "study",
  "epochs",
  "iterations",
  "seed",
  "trainSize",
  "testSize",
  "batchSize",
  "learningRate",
  "hiddenSizes",
  "activation",
  "optimizer",
  "weightDecay",
  "dropout",
];

const USAGE = `usage: experiment [--scale X | --scale-index 0-15 | --scale he|xavier] [flags] [--json]
${fieldUsage(FIELDS)}`;

const OPTIONS = {
  scale: { type: "string" },
  "scale-index": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
  ...fieldOptions(FIELDS),
} as const;

/** The experiment's configuration from the flags, checked by the API's own rules. */
export function configFromFlags(flags: Record<string, unknown>): ExperimentConfig {
  const { scale, "scale-index": scaleIndex } = flags as { scale?: string; "scale-index"?: string };
  if (scale !== undefined && scaleIndex !== undefined) throw new UsageError("give --scale or --scale-index, not both");
  const named = scale === "he" || scale === "xavier" ? scale : undefined;
  const weightScale =
    scaleIndex !== undefined
      ? BOOK_WEIGHT_SCALES[intFlag("scale-index", scaleIndex, 0, 15)]
      : scale !== undefined && named === undefined
        ? Number(scale)
        : BOOK_WEIGHT_SCALES[0];
  try {
    const request = requestFromFlags(flags, FIELDS);
    const batchNorm = (request.study ?? "batchNorm") === "batchNorm";
    if (!batchNorm && (scale !== undefined || scaleIndex !== undefined)) {
      throw new UsageError(`--study ${request.study} has no weight scale: its networks are initialised the study's way`);
    }
    // §6.5's first trial: its values drawn after the script's shuffle.
    const trial = request.study === "randomSearch" ? { trials: 1 } : {};
    const sweep = parseSweepConfig(
      batchNorm ? { ...request, weightScales: [weightScale] } : { ...request, ...trial },
      randomSeed,
    );
    const { config } = runnerExperiments(sweep)[0];
    return named === undefined ? config : { ...config, weightScale: named };
  } catch (e) {
    if (!(e instanceof SweepConfigError)) throw e;
    if (e.field.startsWith("weightScales")) throw new UsageError(`--scale ${e.rule}`);
    throw flagError(e);
  }
}

function main(argv: string[]): void {
  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const config = configFromFlags(flags);
  const data = loadMnist();
  // Building the networks (drawing their weights) is timed with the training, as the numpy peer times it.
  const start = performance.now();
  const experiment = new Experiment(config, data);
  const result = experiment.run();
  const elapsedMs = Math.round((performance.now() - start) * 10) / 10;
  if (flags.json) {
    console.log(JSON.stringify({ ...result, elapsedMs }));
    return;
  }
  if (config.study !== "batchNorm") {
    const trial =
      config.study === "randomSearch"
        ? ` (trial 0: learning rate ${config.learningRate}, weight decay ${config.weightDecay})`
        : "";
    console.log(`study ${config.study}${trial}, seed ${result.seed}, ${experiment.epochsDone} points, ${elapsedMs} ms`);
    const evaluated = result.validation ? { validation: result.validation } : result.test ? { test: result.test } : {};
    const lists = result.loss ?? { train: result.train ?? [], ...evaluated };
    console.log(`point  ${Object.keys(lists).join("  ")}`);
    for (let i = 0; i < experiment.epochsDone; i++) {
      console.log(
        `${String(i).padStart(5)}  ${Object.values(lists)
          .map((l) => l[i].toFixed(4))
          .join("  ")}`,
      );
    }
    return;
  }
  console.log(`weight scale ${result.weightScale}, seed ${result.seed}, ${config.epochs} epochs, ${elapsedMs} ms`);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`.padStart(6);
  result.plain.forEach((p, i) => {
    const test = result.testPlain ? `   test plain ${pct(result.testPlain[i])} BN ${pct(result.testBatchNorm?.[i] ?? 0)}` : "";
    console.log(`epoch ${String(i).padStart(3)}  plain ${pct(p)}  BN ${pct(result.batchNorm[i])}${test}`);
  });
}

try {
  main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`experiment: ${e.message}`);
    process.exit(2);
  }
  throw e;
}

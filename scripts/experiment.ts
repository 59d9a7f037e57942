/**
 * Runs one weight-scale experiment in Node and prints its accuracy lists.
 * Usage: npm run -s experiment -- [--scale X | --scale-index I] [--seed S] [--epochs N] … [--json]
 */

import { parseArgs } from "node:util";
import { Experiment } from "../src/experiment";
import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS, type ExperimentConfig } from "../src/experiment-config";
import { ACTIVATIONS } from "../src/multi-layer-net";
import { OPTIMIZER_KINDS } from "../src/optimizers/optimizer";
import { randomSeed } from "../src/random-seed";
import { choiceFlag, intFlag, intListFlag, numberFlag, UsageError } from "./cli-args";
import { loadMnist } from "./load-mnist";

const USAGE = `usage: experiment [--scale X | --scale-index 0-15 | --scale he|xavier] [--seed S] [--epochs N] [--lr X]
  [--batch-size N] [--train-size N] [--test-size N] [--hidden 100,100,100] [--activation relu|sigmoid]
  [--optimizer sgd|momentum|adagrad|adam] [--weight-decay X] [--dropout X] [--json]`;

const OPTIONS = {
  scale: { type: "string" },
  "scale-index": { type: "string" },
  seed: { type: "string" },
  epochs: { type: "string" },
  lr: { type: "string" },
  "batch-size": { type: "string" },
  "train-size": { type: "string" },
  "test-size": { type: "string" },
  hidden: { type: "string" },
  activation: { type: "string" },
  optimizer: { type: "string" },
  "weight-decay": { type: "string" },
  dropout: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

/** Builds the experiment's configuration from the flags, defaults the book's. */
export function configFromFlags(flags: Flags): ExperimentConfig {
  if (flags.scale !== undefined && flags["scale-index"] !== undefined) {
    throw new UsageError("give --scale or --scale-index, not both");
  }
  let weightScale: ExperimentConfig["weightScale"] = BOOK_WEIGHT_SCALES[0];
  if (flags["scale-index"] !== undefined) weightScale = BOOK_WEIGHT_SCALES[intFlag("scale-index", flags["scale-index"], 0, 15)];
  if (flags.scale === "he" || flags.scale === "xavier") weightScale = flags.scale;
  else if (flags.scale !== undefined) weightScale = numberFlag("scale", flags.scale, 0, 1e6);
  const d = EXPERIMENT_DEFAULTS;
  const trainSize = flags["train-size"] === undefined ? d.trainSize : intFlag("train-size", flags["train-size"], 1, 60000);
  return {
    weightScale,
    seed: flags.seed === undefined ? randomSeed() : intFlag("seed", flags.seed, 0, 0xffffffff),
    epochs: flags.epochs === undefined ? d.epochs : intFlag("epochs", flags.epochs, 1, 100000),
    learningRate: flags.lr === undefined ? d.learningRate : numberFlag("lr", flags.lr, 0, 1e6),
    batchSize: flags["batch-size"] === undefined ? d.batchSize : intFlag("batch-size", flags["batch-size"], 1, trainSize),
    trainSize,
    testSize: flags["test-size"] === undefined ? d.testSize : intFlag("test-size", flags["test-size"], 0, 10000),
    hiddenSizes: flags.hidden === undefined ? d.hiddenSizes : intListFlag("hidden", flags.hidden),
    activation: flags.activation === undefined ? d.activation : choiceFlag("activation", flags.activation, ACTIVATIONS),
    optimizer: flags.optimizer === undefined ? d.optimizer : choiceFlag("optimizer", flags.optimizer, OPTIMIZER_KINDS),
    weightDecay: flags["weight-decay"] === undefined ? d.weightDecay : numberFlag("weight-decay", flags["weight-decay"], 0, 1e6),
    dropout: flags.dropout === undefined ? d.dropout : numberFlag("dropout", flags.dropout, 0, 0.99),
  };
}

function main(argv: string[]): void {
  let flags: Flags;
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
  if (e instanceof UsageError || e instanceof RangeError) {
    console.error(`experiment: ${e.message}`);
    process.exit(2);
  }
  throw e;
}

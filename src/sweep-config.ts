/**
 * The sweep request: every field optional, defaults the book's. This validator is the single
 * source of truth for the API, the CLI and the dashboard; each failure names the field and the rule.
 */

import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS, type ExperimentConfig } from "./experiment-config";
import { ACTIVATIONS, type Activation } from "./multi-layer-net";
import { OPTIMIZER_KINDS, type OptimizerKind } from "./optimizers/optimizer";

/** A validated sweep configuration, every field filled. */
export interface SweepConfig {
  weightScales: number[];
  epochs: number;
  seed: number;
  repeats: number;
  trainSize: number;
  testSize: number;
  batchSize: number;
  learningRate: number;
  hiddenSizes: number[];
  activation: Activation;
  optimizer: OptimizerKind;
  weightDecay: number;
  dropout: number;
}

/** What a client may send: any subset of the fields. */
export type SweepRequest = Partial<SweepConfig>;

/** Limits of a sweep request. */
export const SWEEP_LIMITS = {
  maxEpochs: 1000,
  maxTrainSize: 60000,
  maxTestSize: 10000,
  maxExperiments: 256,
  maxHiddenLayers: 16,
  maxHiddenSize: 4096,
} as const;

/** A request field that breaks a rule. */
export class SweepConfigError extends Error {
  override name = "SweepConfigError";
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field} ${rule}`);
  }
}

const FIELDS = [
  "weightScales",
  "epochs",
  "seed",
  "repeats",
  "trainSize",
  "testSize",
  "batchSize",
  "learningRate",
  "hiddenSizes",
  "activation",
  "optimizer",
  "weightDecay",
  "dropout",
] as const satisfies readonly (keyof SweepConfig)[];

function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new SweepConfigError(field, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

function number(field: string, v: unknown, min: number, max: number, minExclusive = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v > max || v < min || (minExclusive && v === min)) {
    throw new SweepConfigError(
      field,
      `must be a number ${minExclusive ? "above" : "from"} ${min}${max < Number.MAX_VALUE ? ` up to ${max}` : ""}`,
    );
  }
  return v;
}

function oneOf<T extends string>(field: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new SweepConfigError(field, `must be one of ${choices.join(", ")}`);
  }
  return v as T;
}

function list<T>(field: string, v: unknown, minLength: number, maxLength: number, item: (f: string, x: unknown) => T): T[] {
  if (!Array.isArray(v) || v.length < minLength || v.length > maxLength) {
    throw new SweepConfigError(field, `must be an array of ${minLength} to ${maxLength} entries`);
  }
  return v.map((x, i) => item(`${field}[${i}]`, x));
}

/**
 * Validates a request body and fills the defaults. `pickSeed` supplies the seed when none is
 * given (it is recorded in the result).
 */
export function parseSweepConfig(body: unknown, pickSeed: () => number): SweepConfig {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SweepConfigError("body", "must be a JSON object");
  }
  const raw = body as Record<string, unknown>;
  const unknown = Object.keys(raw).find((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown !== undefined) throw new SweepConfigError(unknown, `is not a field; known fields are ${FIELDS.join(", ")}`);
  const d = EXPERIMENT_DEFAULTS;
  const get = <T>(field: (typeof FIELDS)[number], fallback: T, parse: (f: string, v: unknown) => T): T =>
    raw[field] === undefined ? fallback : parse(field, raw[field]);
  const L = SWEEP_LIMITS;
  const weightScales = get("weightScales", [...BOOK_WEIGHT_SCALES], (f, v) =>
    list(f, v, 1, L.maxExperiments, (g, x) => number(g, x, 0, Number.MAX_VALUE, true)),
  );
  const repeats = get("repeats", 1, (f, v) => integer(f, v, 1, L.maxExperiments));
  if (weightScales.length * repeats > L.maxExperiments) {
    throw new SweepConfigError(
      "repeats",
      `times the ${weightScales.length} weight scales must be at most ${L.maxExperiments} experiments`,
    );
  }
  const trainSize = get("trainSize", d.trainSize, (f, v) => integer(f, v, 1, L.maxTrainSize));
  return {
    weightScales,
    epochs: get("epochs", d.epochs, (f, v) => integer(f, v, 1, L.maxEpochs)),
    seed: get("seed", undefined, (f, v) => integer(f, v, 0, 0xffffffff)) ?? pickSeed(),
    repeats,
    trainSize,
    testSize: get("testSize", d.testSize, (f, v) => integer(f, v, 0, L.maxTestSize)),
    batchSize: get("batchSize", d.batchSize, (f, v) => {
      if (typeof v === "number" && Number.isInteger(v) && v > trainSize) {
        throw new SweepConfigError(f, `must be at most trainSize (${trainSize})`);
      }
      return integer(f, v, 1, trainSize);
    }),
    learningRate: get("learningRate", d.learningRate, (f, v) => number(f, v, 0, 1000, true)),
    hiddenSizes: get("hiddenSizes", [...d.hiddenSizes], (f, v) =>
      list(f, v, 1, L.maxHiddenLayers, (g, x) => integer(g, x, 1, L.maxHiddenSize)),
    ),
    activation: get("activation", d.activation, (f, v) => oneOf(f, v, ACTIVATIONS)),
    optimizer: get("optimizer", d.optimizer, (f, v) => oneOf(f, v, OPTIMIZER_KINDS)),
    weightDecay: get("weightDecay", d.weightDecay, (f, v) => number(f, v, 0, 1000)),
    dropout: get("dropout", d.dropout, (f, v) => number(f, v, 0, 0.99)),
  };
}

/** One experiment of a sweep: which scale, which repeat, and its full configuration. */
export interface SweepExperiment {
  index: number;
  repeat: number;
  config: ExperimentConfig;
}

/** The sweep's experiments, scale-major: every scale of repeat 0, then of repeat 1, … */
export function sweepExperiments(sweep: SweepConfig): SweepExperiment[] {
  const { weightScales, repeats, seed, ...rest } = sweep;
  const out: SweepExperiment[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    weightScales.forEach((weightScale, s) => {
      out.push({
        index: repeat * weightScales.length + s,
        repeat,
        config: { ...rest, weightScale, seed: (seed + repeat) >>> 0 },
      });
    });
  }
  return out;
}

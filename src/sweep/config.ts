/**
 * The sweep request validated against {@link SWEEP_FIELDS}: every field optional, defaults the
 * book's; each failure names the field and the rule. Also the sweep's list of experiments.
 */

import type { ExperimentConfig } from "../experiment/config";
import type { Activation } from "../nn/multi-layer-net";
import type { OptimizerKind } from "../nn/optimizers/optimizer";
import { FIELD_NAMES, type FieldName, type FieldRule, MAX_EXPERIMENTS, ruleMessage, SWEEP_FIELDS } from "./fields";

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

/** Checks one value against a rule; `field` names it in the error (`hiddenSizes[2]`). */
export function checkValue(field: string, rule: FieldRule, v: unknown): unknown {
  const fail = (): never => {
    throw new SweepConfigError(field, ruleMessage(rule));
  };
  switch (rule.kind) {
    case "integer":
      if (typeof v !== "number" || !Number.isInteger(v) || v < rule.min || v > rule.max) fail();
      return v;
    case "number": {
      const tooLow = rule.minExclusive ? (v as number) <= rule.min : (v as number) < rule.min;
      if (typeof v !== "number" || !Number.isFinite(v) || tooLow || (rule.max !== undefined && v > rule.max)) fail();
      return v;
    }
    case "choice":
      if (typeof v !== "string" || !rule.choices.includes(v)) fail();
      return v;
    case "list":
      if (!Array.isArray(v) || v.length < rule.minLength || v.length > rule.maxLength) fail();
      return (v as unknown[]).map((x, i) => checkValue(`${field}[${i}]`, rule.item, x));
  }
}

/** Rules that tie two fields together, checked after each field's own rule. */
function checkCrossFieldRules(config: SweepConfig): void {
  if (config.batchSize > config.trainSize) {
    throw new SweepConfigError("batchSize", `must be at most trainSize (${config.trainSize})`);
  }
  if (config.weightScales.length * config.repeats > MAX_EXPERIMENTS) {
    throw new SweepConfigError(
      "repeats",
      `times the ${config.weightScales.length} weight scales must be at most ${MAX_EXPERIMENTS} experiments`,
    );
  }
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
  const unknown = Object.keys(raw).find((k) => !(FIELD_NAMES as string[]).includes(k));
  if (unknown !== undefined) throw new SweepConfigError(unknown, `is not a field; known fields are ${FIELD_NAMES.join(", ")}`);
  const config: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    const spec = SWEEP_FIELDS[name];
    const given = raw[name];
    config[name] = given === undefined ? structuredClone(spec.default) : checkValue(name, spec.rule, given);
  }
  config.seed ??= pickSeed();
  checkCrossFieldRules(config as unknown as SweepConfig);
  return config as unknown as SweepConfig;
}

/** The field a {@link SweepConfigError} names, without its index (`hiddenSizes[2]` → hiddenSizes). */
export function fieldOf(error: SweepConfigError): FieldName | undefined {
  const name = error.field.replace(/\[\d+\]$/, "");
  return (FIELD_NAMES as string[]).includes(name) ? (name as FieldName) : undefined;
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

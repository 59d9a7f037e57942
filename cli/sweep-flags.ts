/** Command-line flags of `bn-sweep run`, turned into a sweep request (the server validates it). */

import { intListFlag, UsageError } from "../scripts/cli-args";
import { logspace } from "../src/logspace";
import type { SweepRequest } from "../src/sweep-config";

/** Flags of `run` that become fields of the request, with the field each fills. */
export const SWEEP_FLAGS = {
  epochs: "epochs",
  seed: "seed",
  repeats: "repeats",
  "train-size": "trainSize",
  "test-size": "testSize",
  "batch-size": "batchSize",
  lr: "learningRate",
  "weight-decay": "weightDecay",
  dropout: "dropout",
  activation: "activation",
  optimizer: "optimizer",
} as const satisfies Record<string, keyof SweepRequest>;

const WORD_FIELDS = new Set(["activation", "optimizer"]);

/** A request from the flags given; numbers are passed as numbers, the server checks the rules. */
export function sweepRequestFromFlags(flags: Record<string, string | boolean | undefined>): SweepRequest {
  const request: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(SWEEP_FLAGS)) {
    const value = flags[flag];
    if (typeof value !== "string") continue;
    if (WORD_FIELDS.has(field)) {
      request[field] = value;
      continue;
    }
    const n = Number(value);
    if (value.trim() === "" || Number.isNaN(n)) throw new UsageError(`--${flag} must be a number, got "${value}"`);
    request[field] = n;
  }
  if (typeof flags.hidden === "string") request.hiddenSizes = intListFlag("hidden", flags.hidden);
  if (typeof flags.scales === "string" && typeof flags["scale-range"] === "string") {
    throw new UsageError("give --scales or --scale-range, not both");
  }
  if (typeof flags.scales === "string") {
    const scales = flags.scales.split(",").map(Number);
    if (scales.some((s) => !Number.isFinite(s)))
      throw new UsageError(`--scales must be numbers separated by commas, got "${flags.scales}"`);
    request.weightScales = scales;
  }
  if (typeof flags["scale-range"] === "string") {
    const parts = flags["scale-range"].split(",").map(Number);
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)) || !Number.isInteger(parts[2]) || parts[2] < 1) {
      throw new UsageError(
        `--scale-range must be FROM,TO,COUNT in powers of ten (the book's is 0,-4,16), got "${flags["scale-range"]}"`,
      );
    }
    request.weightScales = logspace(parts[0], parts[1], parts[2]);
  }
  return request as SweepRequest;
}

/** Command-line flags derived from the request fields: their parseArgs options, usage and values. */

import { logspace } from "../src/numpy/logspace";
import { fieldOf, type SweepConfigError } from "../src/sweep/config";
import { parseFieldText, parseGridText } from "../src/sweep/field-text";
import { FIELD_NAMES, type FieldName, MAX_EXPERIMENTS, SWEEP_FIELDS } from "../src/sweep/fields";
import { UsageError } from "./args";

/** parseArgs options for the given fields: every one a string flag, the grid's repeatable. */
export function fieldOptions(names: readonly FieldName[]): Record<string, { type: "string"; multiple?: true }> {
  return Object.fromEntries(
    names.map((n) => [
      SWEEP_FIELDS[n].flag,
      n === "grid" ? { type: "string" as const, multiple: true as const } : { type: "string" as const },
    ]),
  );
}

/** Usage lines for the given fields: `--flag VALUE   help`. */
export function fieldUsage(names: readonly FieldName[]): string {
  return names
    .map((n) => {
      const { flag, rule, help } = SWEEP_FIELDS[n];
      const value =
        rule.kind === "choice"
          ? rule.choices.join("|")
          : rule.kind === "list"
            ? "A,B,…"
            : rule.kind === "grid"
              ? "FIELD=V1,V2"
              : rule.kind === "search" || rule.kind === "halving"
                ? "JSON"
                : "N";
      return `  --${`${flag} ${value}`.padEnd(34)} ${help}`;
    })
    .join("\n");
}

/** `--grid learningRate=0.01,0.05` (repeatable) as the request's grid. */
function gridValue(texts: readonly string[]): Record<string, unknown[]> {
  const grid: Record<string, unknown[]> = {};
  for (const text of texts) {
    const at = text.indexOf("=");
    if (at < 1) throw new UsageError(`--grid must be FIELD=V1,V2, got "${text}"`);
    grid[text.slice(0, at)] = parseGridText(text.slice(0, at), text.slice(at + 1));
  }
  return grid;
}

/** The request fields the flags give (`--scale-range` as logspace); the rules are checked by the API. */
export function requestFromFlags(
  flags: Record<string, unknown>,
  names: readonly FieldName[] = FIELD_NAMES,
): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const name of names) {
    const text = flags[SWEEP_FIELDS[name].flag];
    if (name === "grid" && Array.isArray(text)) request.grid = gridValue(text);
    else if (typeof text === "string") request[name] = parseFieldText(name, text, `--${SWEEP_FIELDS[name].flag}`);
  }
  const range = flags["scale-range"];
  if (typeof range === "string") {
    if (request.weightScales !== undefined) throw new UsageError("give --scales or --scale-range, not both");
    const parts = range.split(",").map(Number);
    // The count is bounded before logspace allocates it.
    if (
      parts.length !== 3 ||
      parts.some((p) => !Number.isFinite(p)) ||
      !Number.isInteger(parts[2]) ||
      parts[2] < 1 ||
      parts[2] > MAX_EXPERIMENTS
    ) {
      throw new UsageError(
        `--scale-range must be FROM,TO,COUNT in powers of ten with COUNT 1 to ${MAX_EXPERIMENTS} (the book's is 0,-4,16), got "${range}"`,
      );
    }
    request.weightScales = logspace(parts[0], parts[1], parts[2]);
  }
  return request;
}

/** A rule the API states for a field, said of its flag: `--epochs must be an integer from 1 to 1000`. */
export function flagError(error: SweepConfigError): UsageError {
  const name = fieldOf(error);
  const flag = name === undefined ? error.field : `--${SWEEP_FIELDS[name].flag}${error.field.slice(name.length)}`;
  return new UsageError(`${flag} ${error.rule}`);
}

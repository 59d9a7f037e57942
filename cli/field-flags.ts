/** Command-line flags derived from the request fields: their parseArgs options, usage and values. */

import { logspace } from "../src/numpy/logspace";
import { fieldOf, type SweepConfigError } from "../src/sweep/config";
import { FIELD_NAMES, type FieldName, GRID_FIELDS, type GridField, SWEEP_FIELDS } from "../src/sweep/fields";
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
              : "N";
      return `  --${`${flag} ${value}`.padEnd(34)} ${help}`;
    })
    .join("\n");
}

/** `--grid learningRate=0.01,0.05` (repeatable; a list field's values split by `/`: `hiddenSizes=100,100/200,200`). */
function gridValue(texts: readonly string[]): Record<string, unknown[]> {
  const grid: Record<string, unknown[]> = {};
  for (const text of texts) {
    const [field, values] = text.split("=", 2);
    if (!(GRID_FIELDS as readonly string[]).includes(field) || values === undefined || values === "") {
      throw new UsageError(`--grid must be FIELD=V1,V2 with FIELD among ${GRID_FIELDS.join(", ")}, got "${text}"`);
    }
    const name = field as GridField;
    const parts = SWEEP_FIELDS[name].rule.kind === "list" ? values.split("/") : values.split(",");
    grid[name] = parts.map((p) => flagValue(name, p, `grid ${name}`));
  }
  return grid;
}

/** A flag's text as the value the API expects: a number, a word, or a comma-separated list. */
function flagValue(name: FieldName, text: string, flag = SWEEP_FIELDS[name].flag): unknown {
  const { rule } = SWEEP_FIELDS[name];
  if (rule.kind === "grid") throw new UsageError(`--${flag} takes FIELD=V1,V2`);
  if (rule.kind === "choice") return text;
  const parts = rule.kind === "list" ? text.split(",") : [text];
  const values = parts.map((p) => Number(p.trim()));
  if (parts.some((p) => p.trim() === "") || values.some((v) => Number.isNaN(v))) {
    throw new UsageError(`--${flag} must be ${rule.kind === "list" ? "numbers separated by commas" : "a number"}, got "${text}"`);
  }
  return rule.kind === "list" ? values : values[0];
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
    else if (typeof text === "string") request[name] = flagValue(name, text);
  }
  const range = flags["scale-range"];
  if (typeof range === "string") {
    if (request.weightScales !== undefined) throw new UsageError("give --scales or --scale-range, not both");
    const parts = range.split(",").map(Number);
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)) || !Number.isInteger(parts[2]) || parts[2] < 1) {
      throw new UsageError(`--scale-range must be FROM,TO,COUNT in powers of ten (the book's is 0,-4,16), got "${range}"`);
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

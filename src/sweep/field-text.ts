/**
 * A field's value written as text, as `bn-sweep run` flags and the dashboard form take it: a
 * number, a word, or a comma-separated list; a grid field's values comma-separated, a list field's
 * values split by `/` (`hiddenSizes=100,100/200,200`); a search or halving as JSON. Only the form is checked here; the field's
 * rule is the API's.
 */

import { SweepConfigError } from "./config";
import { type FieldName, GRID_FIELDS, type GridField, SWEEP_FIELDS } from "./fields";

/** The value `text` writes for field `name` (named `label` in errors). */
export function parseFieldText(name: FieldName, text: string, label: string = name): unknown {
  const { rule } = SWEEP_FIELDS[name];
  if (rule.kind === "grid") throw new SweepConfigError(label, "takes FIELD=V1,V2");
  if (rule.kind === "choice") return text.trim();
  if (rule.kind === "search" || rule.kind === "halving") {
    try {
      return JSON.parse(text);
    } catch {
      const example =
        rule.kind === "search"
          ? '{"trials":20,"space":{"learningRate":{"log10Uniform":[-2,-6]}}}'
          : '{"rungs":[5,15],"keep":0.5}';
      throw new SweepConfigError(label, `must be JSON such as ${example}, got "${text}"`);
    }
  }
  const parts = rule.kind === "list" ? text.split(",") : [text];
  const values = parts.map((p) => Number(p.trim()));
  if (parts.some((p) => p.trim() === "") || values.some((v) => Number.isNaN(v))) {
    throw new SweepConfigError(
      label,
      `must be ${rule.kind === "list" ? "numbers separated by commas" : "a number"}, got "${text}"`,
    );
  }
  return rule.kind === "list" ? values : values[0];
}

/** A grid field's values from `text` (`0.01,0.05`, or `100,100/200,200` for a list field). */
export function parseGridText(field: string, text: string): unknown[] {
  if (!(GRID_FIELDS as readonly string[]).includes(field)) {
    throw new SweepConfigError("grid", `takes FIELD=V1,V2 with FIELD among ${GRID_FIELDS.join(", ")}, got "${field}"`);
  }
  const name = field as GridField;
  const parts = SWEEP_FIELDS[name].rule.kind === "list" ? text.split("/") : text.split(",");
  return parts.map((p) => parseFieldText(name, p, `grid.${name}`));
}

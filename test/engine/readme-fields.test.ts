import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fieldTable, README, withFieldTable } from "../../scripts/field-table";
import { TUNING, tuningText } from "../../workers/tuning";

describe("the README's field table", () => {
  it("is the one made from the field schema (npm run docs:fields writes it)", () => {
    const readme = readFileSync(README, "utf8");
    expect(withFieldTable(readme)).toBe(readme);
  });

  it("has one row per request field with its rule, e.g. epochs as an integer 1–1000", () => {
    const rows = fieldTable().split("\n").slice(2);
    expect(rows).toHaveLength(20);
    expect(rows.find((r) => r.startsWith("| `epochs` |"))).toBe(
      "| `epochs` | 20 | integer 1–1000 | `--epochs` | evaluations of both networks, one per epoch; the first after one step |",
    );
  });
});

describe("the README's table of tuning variables", () => {
  it("gives every variable the default and range the code checks", () => {
    const readme = readFileSync(README, "utf8");
    for (const [name, rule] of Object.entries(TUNING)) {
      expect(readme).toContain(`| \`${name}\` | ${tuningText(rule.default)} | ${tuningText(rule.min)}–${tuningText(rule.max)} |`);
    }
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fieldTable, README, withFieldTable } from "../../scripts/field-table";

describe("the README's field table", () => {
  it("is the one made from the field schema (npm run docs:fields writes it)", () => {
    const readme = readFileSync(README, "utf8");
    expect(withFieldTable(readme)).toBe(readme);
  });

  it("has one row per request field with its rule, e.g. epochs as an integer 1–1000", () => {
    const rows = fieldTable().split("\n").slice(2);
    expect(rows).toHaveLength(14);
    expect(rows.find((r) => r.startsWith("| `epochs` |"))).toBe(
      "| `epochs` | 20 | integer 1–1000 | `--epochs` | evaluations of both networks, one per epoch; the first after one step |",
    );
  });
});

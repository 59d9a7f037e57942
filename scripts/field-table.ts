/**
 * The README's table of request fields, made from src/sweep/fields.ts. `npm run docs:fields`
 * writes it between the README's field-table markers; a test checks that the README holds it.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FIELD_NAMES, ruleSummary, SWEEP_FIELDS } from "../src/sweep";

export const BEGIN = "<!-- field-table: made by npm run docs:fields -->";
export const END = "<!-- /field-table -->";
export const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** The table as Markdown. */
export function fieldTable(): string {
  const rows = FIELD_NAMES.map((name) => {
    const { defaultText, rule, flag, help } = SWEEP_FIELDS[name];
    return `| \`${name}\` | ${defaultText} | ${ruleSummary(rule)} | \`--${flag}\` | ${help} |`;
  });
  return ["| field | default | rule | CLI flag | what |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

/** The README with its table section replaced by {@link fieldTable}. */
export function withFieldTable(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  return `${readme.slice(0, start + BEGIN.length)}\n${fieldTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, withFieldTable(readFileSync(README, "utf8")));
  console.error("docs:fields: README.md field table written");
}

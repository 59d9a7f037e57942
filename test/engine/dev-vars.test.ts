import { describe, expect, it } from "vitest";
import { parseDevVars } from "../../scripts/local-runners";

describe(".dev.vars read as wrangler reads it (dotenv)", () => {
  it("takes export lines, quoted values as written and unquoted ones up to a comment", () => {
    const text = [
      "# the token of a server bound beyond the loopback",
      "SWEEP_TOKEN=abc # a note",
      "export PUBLIC_READ=true",
      'QUOTED="a # not a comment"',
      "SINGLE='x y'",
      "  SPACED = value  ",
      "not a line",
    ].join("\n");
    expect(parseDevVars(text)).toEqual({
      SWEEP_TOKEN: "abc",
      PUBLIC_READ: "true",
      QUOTED: "a # not a comment",
      SINGLE: "x y",
      SPACED: "value",
    });
  });
});

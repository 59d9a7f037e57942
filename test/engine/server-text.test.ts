import { describe, expect, it } from "vitest";
import { progressLines } from "../../cli/progress";
import { printable, sweepIdOrUndefined } from "../../cli/server-text";
import type { SweepView } from "../../src/sweep/view";

describe("what the CLI takes from a server", () => {
  it("accepts only a 32-hex-digit sweep id as part of a path", () => {
    expect(sweepIdOrUndefined("0123456789abcdef0123456789abcdef")).toBe("0123456789abcdef0123456789abcdef");
    for (const hostile of [
      "../../etc",
      "../0123456789abcdef0123456789abcd",
      "0123456789ABCDEF0123456789ABCDEF",
      "a/b",
      "",
      42,
      null,
    ]) {
      expect(sweepIdOrUndefined(hostile)).toBeUndefined();
    }
  });

  it("strips control characters (escape sequences) from text it prints, keeping tabs and newlines", () => {
    expect(printable("ok\u001b]0;pwned\u0007 \u001b[2Jdone\u009b\tline\nnext\u007f")).toBe("ok]0;pwned [2Jdone\tline\nnext");
  });
});

describe("the CLI's progress lines", () => {
  it("carry none of the control characters a hostile server puts in ids, statuses or grid values", () => {
    const view = {
      id: "\u001b]0;x\u0007",
      status: "running\u001b[2J",
      config: { epochs: 2, seed: 0, repeats: 1 },
      experiments: [
        {
          index: 0,
          weightScale: 1,
          grid: { optimizer: "sgd\u001b[31m" },
          status: "running\u009b",
          epochsDone: 1,
          plain: [],
          batchNorm: [],
        },
      ],
    } as unknown as SweepView;
    const lines = progressLines(view);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(lines[0]).toContain("running[2J");
  });
});

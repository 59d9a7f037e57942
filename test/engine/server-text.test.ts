import { describe, expect, it } from "vitest";
import { printable, sweepIdOrUndefined } from "../../cli/server-text";

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

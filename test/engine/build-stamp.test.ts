import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { upToDate, writeStamp } from "../../scripts/build-stamp";

describe("a build's stamp", () => {
  let root: string;
  let stamp: string;
  let output: string;
  const inputs = ["a.ts", "b.ts"];
  const options = { define: { X: "1" } };
  /** Files written a minute ago, so that a build starting now finds them settled. */
  const writeOld = (name: string) => {
    writeFileSync(join(root, name), name);
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, name), past, past);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "build-stamp-"));
    stamp = join(root, "stamp.json");
    output = join(root, "out.js");
    for (const name of inputs) writeOld(name);
    writeFileSync(output, "built");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("says up to date only after a stamp of the same inputs and options", () => {
    expect(upToDate(stamp, root, [output], options)).toBe(false);
    writeStamp(stamp, root, inputs, options, Date.now());
    expect(upToDate(stamp, root, [output], options)).toBe(true);
  });

  it("says stale when an input's modification time changed", () => {
    writeStamp(stamp, root, inputs, options, Date.now());
    const later = new Date(Date.now() - 30_000);
    utimesSync(join(root, "b.ts"), later, later);
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });

  it("says stale when an input is gone, an output is missing, or the options differ", () => {
    writeStamp(stamp, root, inputs, options, Date.now());
    expect(upToDate(stamp, root, [output], { define: { X: "2" } })).toBe(false);
    expect(upToDate(stamp, root, [output, join(root, "host.mjs")], options)).toBe(false);
    rmSync(join(root, "a.ts"));
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });

  it("writes no stamp when an input changed while the build ran", () => {
    const started = Date.now() - 10_000;
    writeFileSync(join(root, "a.ts"), "edited during the build");
    writeStamp(stamp, root, inputs, options, started);
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });

  it("builds again over a damaged stamp", () => {
    writeFileSync(stamp, "{ not json");
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });
});
